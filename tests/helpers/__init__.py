"""Helpers shared by several test folders (deterministic weights for parity fixtures)."""
