"""Anchors of the anchor-based heads (RPN, RetinaNet), in input pixels, xyxy.

Level i has `len(anchor_sizes[i]) * len(aspect_ratios)` cell anchors centred on 0, ordered
size-major then ratio; they are shifted to every position `(x, y) * stride + offset * stride`
of the level's map. The flattened order is position-major (row by row), then cell anchor,
which is also the order of a head's output once transposed to NHWC and reshaped.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import List, Sequence, Union

import numpy as np
import paddle
import paddle.nn as nn

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.ops.traced_shapes import map_size

__all__ = ['AnchorGenerator', 'RetinaAnchorGenerator', 'cell_anchors']

Sizes = Union[Sequence[float], Sequence[Sequence[float]]]


def cell_anchors(sizes: Sequence[float], aspect_ratios: Sequence[float]) -> np.ndarray:
    """[len(sizes) * len(ratios), 4] float32 anchors centred on 0 (area size^2, h/w = ratio)."""
    out = []
    for size in sizes:
        area = size ** 2.0
        for ratio in aspect_ratios:
            w = math.sqrt(area / ratio)
            h = ratio * w
            out.append([-w / 2.0, -h / 2.0, w / 2.0, h / 2.0])
    return np.asarray(out, dtype='float32')


def _per_level(values: Sizes, levels: int, what: str) -> List[List[float]]:
    """A flat list applies to every level; a list of lists gives one list per level."""
    values = list(values)
    if not values:
        raise ConfigError(f'AnchorGenerator: {what} is empty')
    if not isinstance(values[0], (list, tuple)):
        return [[float(v) for v in values]] * levels
    if len(values) != levels:
        raise ConfigError(f'AnchorGenerator: {what} has {len(values)} levels but strides '
                          f'has {levels}')
    return [[float(v) for v in level] for level in values]


@register
class AnchorGenerator(nn.Layer):
    """Anchors for each input map (`strides` gives one entry per map).

    `anchor_sizes`: one flat list for every level (Faster R-CNN C4: [32, ..., 512]), or a list
    per level (FPN: [[32], [64], ...]). `variance` is kept for configs; the box coder uses its
    own weights.
    """

    def __init__(self, anchor_sizes: Sizes = [32, 64, 128, 256, 512],
                 aspect_ratios: List[float] = [0.5, 1.0, 2.0], strides: List[float] = [16.0],
                 variance: List[float] = [1.0, 1.0, 1.0, 1.0], offset: float = 0.):
        super().__init__()
        if not strides:
            raise ConfigError('AnchorGenerator: strides must list one stride per level')
        self.strides = [float(s) for s in strides]
        self.anchor_sizes = _per_level(anchor_sizes, len(self.strides), 'anchor_sizes')
        self.aspect_ratios = [float(r) for r in aspect_ratios]
        ratios = _per_level(self.aspect_ratios, len(self.strides), 'aspect_ratios')
        self.variance = list(variance)
        self.offset = float(offset)
        self.cells = [cell_anchors(s, r) for s, r in zip(self.anchor_sizes, ratios)]

    @property
    def num_anchors(self) -> int:
        """Anchors per position (of the first level; every level has the same count)."""
        return len(self.cells[0])

    def _grid(self, height, width, stride: float) -> paddle.Tensor:
        """Shifts of every position; `height`, `width` are ints, or int32 scalars while a
        model is traced (ppdet.modeling.ops.traced_shapes), giving the same arange."""
        start = self.offset * stride
        if isinstance(width, paddle.Tensor):
            width, height = (v.cast('float32') * stride + start for v in (width, height))
        else:
            width, height = width * stride + start, height * stride + start
        xs = paddle.arange(start, width, step=stride, dtype='float32')
        ys = paddle.arange(start, height, step=stride, dtype='float32')
        shift_y, shift_x = paddle.meshgrid(ys, xs)
        shift_x = shift_x.reshape([-1])
        shift_y = shift_y.reshape([-1])
        return paddle.stack((shift_x, shift_y, shift_x, shift_y), axis=1)

    def forward(self, feats: Sequence[paddle.Tensor]) -> List[paddle.Tensor]:
        """One [H*W*A, 4] anchor tensor per map of `feats` ([B, C, H, W] each)."""
        if len(feats) != len(self.strides):
            raise ValueError(f'AnchorGenerator has {len(self.strides)} strides but got '
                             f'{len(feats)} maps')
        out = []
        for feat, stride, cell in zip(feats, self.strides, self.cells):
            h, w = map_size(feat)
            shifts = self._grid(h, w, stride)
            base = paddle.to_tensor(cell)
            out.append((shifts.reshape([-1, 1, 4]) + base.reshape([1, -1, 4])).reshape([-1, 4]))
        return out


@register
class RetinaAnchorGenerator(AnchorGenerator):
    """RetinaNet's anchors: at level stride s, sizes s * octave_base_scale * 2^(i/n) for
    i < n = scales_per_octave."""

    def __init__(self, octave_base_scale: Real = 4, scales_per_octave: int = 3,
                 aspect_ratios: List[float] = [0.5, 1.0, 2.0],
                 strides: List[float] = [8.0, 16.0, 32.0, 64.0, 128.0],
                 variance: List[float] = [1.0, 1.0, 1.0, 1.0], offset: float = 0.0):
        sizes = [[s * octave_base_scale * 2 ** (i / scales_per_octave)
                  for i in range(scales_per_octave)] for s in strides]
        super().__init__(anchor_sizes=sizes, aspect_ratios=aspect_ratios, strides=strides,
                         variance=variance, offset=offset)
        self.octave_base_scale = octave_base_scale
        self.scales_per_octave = scales_per_octave
