"""Output description of a feature map, so a neck or head can size itself from its input."""
from __future__ import annotations

from typing import NamedTuple, Optional


class ShapeSpec(NamedTuple):
    channels: Optional[int] = None
    height: Optional[int] = None
    width: Optional[int] = None
    stride: Optional[int] = None
