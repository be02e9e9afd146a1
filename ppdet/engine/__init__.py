"""Training, evaluation and inference engine."""
