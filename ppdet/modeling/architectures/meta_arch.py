"""The contract every detector follows, so trainer, evaluator and weight loader stay generic.

A detector is called with one dict of batched tensors:
- training: `image`, `im_shape`, `scale_factor` plus the ground-truth fields its loss needs;
  returns a dict of scalar losses that includes the total under `'loss'`;
- eval / inference: `image` [B,3,H,W], `im_shape` [B,2] (resized h, w), `scale_factor` [B,2]
  (resized / original, y then x); returns `{'bbox': [N,6], 'bbox_num': [B]}` where each row is
  (class id, score, x1, y1, x2, y2) in original-image pixels.

`class_layouts` maps the parameter-name prefixes whose shape depends on `num_classes` to their
channel layout. The transfer-learning loader reads it to exclude those layers by default and to
move weights class by class when the user maps classes.
"""
from __future__ import annotations

from typing import ClassVar, Dict

import paddle
import paddle.nn as nn

from ppdet.modeling.class_layout import ClassLayout

__all__ = ['BaseArch']


class BaseArch(nn.Layer):
    """Dispatches to `get_loss` in training mode and `get_pred` in eval mode."""

    class_layouts: ClassVar[Dict[str, ClassLayout]] = {}

    def __init__(self, data_format: str = 'NCHW'):
        super().__init__()
        self.data_format = data_format
        self.inputs: Dict[str, paddle.Tensor] = {}

    def forward(self, inputs: Dict[str, paddle.Tensor]) -> Dict[str, paddle.Tensor]:
        self.inputs = inputs
        if self.training:
            out = self.get_loss()
        else:
            out = self.get_pred()
        self.inputs = {}  # do not keep the batch alive between calls
        return out

    def get_loss(self) -> Dict[str, paddle.Tensor]:
        raise NotImplementedError

    def get_pred(self) -> Dict[str, paddle.Tensor]:
        raise NotImplementedError

    @classmethod
    def class_dependent_prefixes(cls) -> list:
        """Parameter-name prefixes whose shapes change with `num_classes`."""
        return sorted(cls.class_layouts)
