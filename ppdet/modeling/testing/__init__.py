"""Helpers for tests and benchmarks (deterministic weights); not imported by the models."""
