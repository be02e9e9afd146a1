"""Public entry points of the config system, named as PaddleDetection users know them."""
from ppdet.core.registry import register, serializable  # noqa: F401
