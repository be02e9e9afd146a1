"""RetinaNet: backbone -> FPN (P3..P7) -> RetinaHead; decoded and NMS'd by the head.

Class-dependent layer: `head.retina_cls`, a conv with A*C sigmoid logits (no background).
"""
from __future__ import annotations

from typing import Any, Callable, Dict

import paddle
import paddle.nn as nn

from ppdet.core.workspace import register
from ppdet.modeling.architectures.meta_arch import BaseArch
from ppdet.modeling.class_layout import ClassLayout

__all__ = ['RetinaNet']


@register
class RetinaNet(BaseArch):
    """Training inputs: `image`, `gt_bbox` (a list of [G_i, 4] in input pixels), `gt_class`
    (a list of [G_i, 1]); returns `loss_cls`, `loss_reg`, `loss`. Eval boxes are in original
    pixels and not clipped to the image (as PaddleDetection)."""
    __inject__ = {'backbone': 'ResNet', 'neck': 'FPN', 'head': 'RetinaHead'}
    class_layouts = {'head.retina_cls': ClassLayout(prefix=0, per_class=1, background=None)}
    export_batch_size = 1  # exported programs run per image (ppdet/engine/export.py)

    def __init__(self, backbone: nn.Layer, neck: nn.Layer, head: nn.Layer):
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.head = head

    @classmethod
    def from_config(cls, cfg: Dict[str, Any], create: Callable[..., Any],
                    input_shape: Any = None) -> Dict[str, Any]:
        backbone = create(cfg['backbone'])
        neck = create(cfg['neck'], input_shape=backbone.out_shape)
        return {'backbone': backbone, 'neck': neck,
                'head': create(cfg['head'], input_shape=neck.out_shape)}

    def feature_maps(self):
        return self.neck(self.backbone(self.inputs))

    def get_loss(self) -> Dict[str, paddle.Tensor]:
        return self.head(self.feature_maps(), self.inputs)

    def get_pred(self) -> Dict[str, paddle.Tensor]:
        bbox, bbox_num = self.head.post_process(self.head(self.feature_maps()),
                                                self.inputs['im_shape'],
                                                self.inputs['scale_factor'])
        return {'bbox': bbox, 'bbox_num': bbox_num}
