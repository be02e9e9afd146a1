"""Output description of a feature map, so a neck or head can size itself from its input."""
from __future__ import annotations

from typing import List, NamedTuple, Optional, Sequence


class ShapeSpec(NamedTuple):
    channels: Optional[int] = None
    height: Optional[int] = None
    width: Optional[int] = None
    stride: Optional[float] = None


def channels_of(input_shape: Sequence[ShapeSpec]) -> List[int]:
    """Channels of each input level, checked: a level without them cannot size a layer."""
    channels = [s.channels for s in input_shape]
    if any(c is None for c in channels):
        raise ValueError(f'input levels without channel counts: {list(input_shape)}')
    return channels


def strides_of(input_shape: Sequence[ShapeSpec]) -> List[float]:
    strides = [s.stride for s in input_shape]
    if any(s is None for s in strides):
        raise ValueError(f'input levels without strides: {list(input_shape)}')
    return strides
