"""Faster R-CNN: backbone (-> FPN) -> RPNHead proposals -> BBoxHead on RoI features ->
RCNNBox decode + MultiClassNMS -> rescale to the original image.

Without a neck it is the C4 layout: the RPN runs on the stride-16 map and the box head's
`Res5Head` is the backbone's fifth stage applied to 14x14 RoI features.

Class-dependent layers: `bbox_head.bbox_score` (C+1 softmax logits, background last) and
`bbox_head.bbox_delta` (4 deltas per class) — both `Linear`, output channels on axis 1.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import paddle
import paddle.nn as nn

from ppdet.core.workspace import register
from ppdet.modeling.architectures.two_stage import TwoStageArch, backbone_and_neck
from ppdet.modeling.class_layout import ClassLayout

__all__ = ['FasterRCNN', 'RCNN_CLASS_LAYOUTS']

RCNN_CLASS_LAYOUTS = {
    'bbox_head.bbox_score': ClassLayout(prefix=0, per_class=1, background='last'),
    'bbox_head.bbox_delta': ClassLayout(prefix=0, per_class=4, background=None),
}


@register
class FasterRCNN(TwoStageArch):
    """Training inputs: `image`, `im_shape`, `scale_factor`, `gt_bbox` (a list of [G_i, 4]
    boxes in input pixels), `gt_class` (a list of [G_i, 1]), optionally `is_crowd`.
    Returns `loss_rpn_cls`, `loss_rpn_reg`, `loss_bbox_cls`, `loss_bbox_reg` and `loss`."""
    __inject__ = {'backbone': 'ResNet', 'neck': None, 'rpn_head': 'RPNHead',
                  'bbox_head': 'BBoxHead', 'bbox_post_process': 'BBoxPostProcess'}
    class_layouts = RCNN_CLASS_LAYOUTS
    export_batch_size = 1  # exported programs run per image (ppdet/engine/export.py)

    def __init__(self, backbone: nn.Layer, rpn_head: nn.Layer, bbox_head: nn.Layer,
                 bbox_post_process: Any, neck: Optional[nn.Layer] = None):
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.rpn_head = rpn_head
        self.bbox_head = bbox_head
        self.bbox_post_process = bbox_post_process

    @classmethod
    def from_config(cls, cfg: Dict[str, Any], create: Callable[..., Any],
                    input_shape: Any = None) -> Dict[str, Any]:
        """The neck is built on the backbone's maps, both heads on the neck's (or the
        backbone's, without a neck)."""
        backbone, neck, shapes = backbone_and_neck(cfg, create)
        return {'backbone': backbone, 'neck': neck,
                'rpn_head': create(cfg['rpn_head'], input_shape=shapes),
                'bbox_head': create(cfg['bbox_head'], input_shape=shapes)}

    def get_loss(self) -> Dict[str, paddle.Tensor]:
        feats = self.feature_maps()
        rois, rois_num, rpn_loss = self.rpn_head(feats, self.inputs)
        bbox_loss, _ = self.bbox_head(feats, rois, rois_num, self.inputs)
        losses = dict(rpn_loss)
        losses.update(bbox_loss)
        losses['loss'] = paddle.add_n(list(losses.values()))
        return losses

    def get_pred(self) -> Dict[str, paddle.Tensor]:
        feats = self.feature_maps()
        rois, rois_num, _ = self.rpn_head(feats, self.inputs)
        preds, _ = self.bbox_head(feats, rois, rois_num, None)
        im_shape, scale_factor = self.inputs['im_shape'], self.inputs['scale_factor']
        bbox, bbox_num = self.bbox_post_process(preds, (rois, rois_num), im_shape,
                                                scale_factor)
        bbox, bbox_num = self.bbox_post_process.get_pred(bbox, bbox_num, im_shape,
                                                         scale_factor)
        return {'bbox': bbox, 'bbox_num': bbox_num}
