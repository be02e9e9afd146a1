"""The contract every detector follows, so trainer, evaluator and weight loader stay generic.

A detector is called with one dict of batched tensors:
- training: `image`, `im_shape`, `scale_factor` plus the ground-truth fields its loss needs;
  returns a dict of scalar losses that includes the total under `'loss'`;
- eval / inference: `image` [B,3,H,W], `im_shape` [B,2] (resized h, w), `scale_factor` [B,2]
  (resized / original, y then x); returns `{'bbox': [N,6], 'bbox_num': [B]}` where each row is
  (class id, score, x1, y1, x2, y2) in original-image pixels.

Eval batches from a multi-scale reader carry the other scales under `scale_variants`: the
architecture predicts on each and merges (architectures that support it say how, through
`multi_scale_settings`).

`class_layouts` maps the parameter-name prefixes whose shape depends on `num_classes` to their
channel layout. The transfer-learning loader reads it to exclude those layers by default and to
move weights class by class when the user maps classes.
"""
from __future__ import annotations

from typing import Any, ClassVar, Dict, Tuple

import numpy as np
import paddle
import paddle.nn as nn

from ppdet.modeling.class_layout import ClassLayout
from ppdet.core.errors import ConfigError
from ppdet.data.transform.multiscale import SCALE_VARIANTS
from ppdet.modeling.ops.multiscale_merge import merge_scales

__all__ = ['BaseArch']


class BaseArch(nn.Layer):
    """Dispatches to `get_loss` in training mode and `get_pred` in eval mode."""

    class_layouts: ClassVar[Dict[str, ClassLayout]] = {}

    def __init__(self, data_format: str = 'NCHW'):
        super().__init__()
        self.data_format = data_format
        self.inputs: Dict[str, paddle.Tensor] = {}

    def forward(self, inputs: Dict[str, paddle.Tensor]) -> Dict[str, paddle.Tensor]:
        variants = inputs.get(SCALE_VARIANTS) if not self.training else None
        self.inputs = inputs
        try:
            out = self.get_loss() if self.training else self.get_pred()
            if variants:
                out = self._merge_scales([out] + [self._predict(v) for v in variants])
        finally:
            self.inputs = {}  # do not keep the batch alive between calls
        return out

    def _predict(self, batch: Dict[str, Any]) -> Dict[str, paddle.Tensor]:
        self.inputs = {k: paddle.to_tensor(v) if isinstance(v, np.ndarray) else v
                       for k, v in batch.items()}
        return self.get_pred()

    def multi_scale_settings(self) -> Tuple[int, float, int]:
        """(num_classes, nms_threshold, keep_top_k) for merging multi-scale predictions."""
        raise ConfigError(f'{type(self).__name__} does not support multi-scale testing '
                          f'(MultiscaleTestResize); use Resize in the reader')

    def _merge_scales(self, outs) -> Dict[str, paddle.Tensor]:
        num_classes, nms_threshold, keep_top_k = self.multi_scale_settings()
        per_scale = [np.split(o['bbox'].numpy(), np.cumsum(o['bbox_num'].numpy())[:-1])
                     for o in outs]
        images = [merge_scales([scale[i] for scale in per_scale], num_classes, nms_threshold,
                               keep_top_k) for i in range(len(per_scale[0]))]
        return {'bbox': paddle.to_tensor(np.concatenate(images).reshape(-1, 6)),
                'bbox_num': paddle.to_tensor(np.array([len(b) for b in images], 'int32'))}

    def get_loss(self) -> Dict[str, paddle.Tensor]:
        raise NotImplementedError

    def get_pred(self) -> Dict[str, paddle.Tensor]:
        raise NotImplementedError

    @classmethod
    def class_dependent_prefixes(cls) -> list:
        """Parameter-name prefixes whose shapes change with `num_classes`."""
        return sorted(cls.class_layouts)
