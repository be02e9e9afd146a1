"""Mask R-CNN: Faster R-CNN plus a mask head on the sampled foreground RoIs (training) and on
the final detections (test), whose masks are pasted into the original image.

Class-dependent layers: those of Faster R-CNN and `mask_head.mask_fcn_logits` (a 1x1 conv with
C mask channels, no background).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import paddle
import paddle.nn as nn

from ppdet.modeling.class_layout import ClassLayout
from ppdet.core.workspace import register
from ppdet.modeling.architectures.faster_rcnn import RCNN_CLASS_LAYOUTS
from ppdet.modeling.architectures.meta_arch import BaseArch
from ppdet.modeling.architectures.two_stage import TwoStageArch, backbone_and_neck
from ppdet.modeling.ops.mask_post_process import align_masks_to_rows

__all__ = ['MaskRCNN', 'MASK_CLASS_LAYOUTS', 'mask_head_input_shape', 'detections_with_masks']

MASK_CLASS_LAYOUTS = {
    'mask_head.mask_fcn_logits': ClassLayout(prefix=0, per_class=1, background=None),
}


def mask_head_input_shape(neck: Optional[nn.Layer], bbox_head: nn.Layer):
    """The mask head pools from the pyramid (FPN) or, in C4 models, continues the box head's
    res5 features."""
    return neck.out_shape if neck is not None else bbox_head.head.out_shape


def detections_with_masks(model: BaseArch, feats, dets: paddle.Tensor, dets_num: paddle.Tensor,
                          feat_func: Optional[Callable] = None) -> Dict[str, paddle.Tensor]:
    """From the NMS output (input pixels): boxes in original pixels (`get_pred`) and, row for
    row, binary masks pasted into each original image."""
    im_shape, scale_factor = model.inputs['im_shape'], model.inputs['scale_factor']
    probs = model.mask_head(feats, dets, dets_num, model.inputs, feat_func=feat_func)
    bbox, bbox_num = model.bbox_post_process.get_pred(dets, dets_num, im_shape, scale_factor)
    rows = align_masks_to_rows(probs, dets_num.numpy().reshape(-1).tolist(),
                               bbox_num.numpy().reshape(-1).tolist())
    origin = paddle.floor(im_shape / scale_factor + 0.5)
    mask = model.mask_post_process(rows, bbox, bbox_num, origin)
    return {'bbox': bbox, 'bbox_num': bbox_num, 'mask': mask}


@register
class MaskRCNN(TwoStageArch):
    """Training inputs: those of Faster R-CNN plus `gt_poly` (per image, one list of polygons
    per `gt_bbox` row). Returns `loss_mask`, the Faster R-CNN losses and `loss`; eval adds
    `mask` [N, H, W] int32 (0/1, original pixels) aligned with `bbox`."""
    __inject__ = {'backbone': 'ResNet', 'neck': None, 'rpn_head': 'RPNHead',
                  'bbox_head': 'BBoxHead', 'mask_head': 'MaskHead',
                  'bbox_post_process': 'BBoxPostProcess', 'mask_post_process': 'MaskPostProcess'}
    class_layouts = {**RCNN_CLASS_LAYOUTS, **MASK_CLASS_LAYOUTS}

    def __init__(self, backbone: nn.Layer, rpn_head: nn.Layer, bbox_head: nn.Layer,
                 mask_head: nn.Layer, bbox_post_process: Any, mask_post_process: Any,
                 neck: Optional[nn.Layer] = None):
        super().__init__()
        self.backbone = backbone
        self.neck = neck
        self.rpn_head = rpn_head
        self.bbox_head = bbox_head
        self.mask_head = mask_head
        self.bbox_post_process = bbox_post_process
        self.mask_post_process = mask_post_process

    @classmethod
    def from_config(cls, cfg: Dict[str, Any], create: Callable[..., Any],
                    input_shape: Any = None) -> Dict[str, Any]:
        backbone, neck, shapes = backbone_and_neck(cfg, create)
        bbox_head = create(cfg['bbox_head'], input_shape=shapes)
        return {'backbone': backbone, 'neck': neck,
                'rpn_head': create(cfg['rpn_head'], input_shape=shapes),
                'bbox_head': bbox_head,
                'mask_head': create(cfg['mask_head'],
                                    input_shape=mask_head_input_shape(neck, bbox_head))}

    def get_loss(self) -> Dict[str, paddle.Tensor]:
        feats = self.feature_maps()
        rois, rois_num, rpn_loss = self.rpn_head(feats, self.inputs)
        bbox_loss, bbox_feat = self.bbox_head(feats, rois, rois_num, self.inputs)
        rois, rois_num = self.bbox_head.assigned_rois
        mask_loss = self.mask_head(feats, rois, rois_num, self.inputs,
                                   self.bbox_head.assigned_targets, bbox_feat)
        losses = dict(mask_loss)  # PaddleDetection's order: the total sums the same way
        losses.update(rpn_loss)
        losses.update(bbox_loss)
        losses['loss'] = paddle.add_n(list(losses.values()))
        return losses

    def get_pred(self) -> Dict[str, paddle.Tensor]:
        feats = self.feature_maps()
        rois, rois_num, _ = self.rpn_head(feats, self.inputs)
        preds, feat_func = self.bbox_head(feats, rois, rois_num, None)
        dets, dets_num = self.bbox_post_process(preds, (rois, rois_num),
                                                self.inputs['im_shape'],
                                                self.inputs['scale_factor'])
        return detections_with_masks(self, feats, dets, dets_num, feat_func)
