"""Cascade R-CNN, and Cascade Mask R-CNN when a mask head is given: the RPN's proposals go
through the three stages of `CascadeHead`; the last stage's boxes, scored by the mean of the
stages' class probabilities, are decoded by `RCNNBox` (the last stage's weights) and NMS'd.

Class-dependent layers: `bbox_head.bbox_score_stage{0,1,2}` (C+1 logits, background last; the
box deltas are class-agnostic) and, with a mask head, `mask_head.mask_fcn_logits` (C masks).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import paddle
import paddle.nn as nn

from ppdet.modeling.class_layout import ClassLayout
from ppdet.core.workspace import register
from ppdet.modeling.architectures.mask_rcnn import (MASK_CLASS_LAYOUTS, detections_with_masks,
                                                    mask_head_input_shape)
from ppdet.modeling.architectures.two_stage import TwoStageArch, backbone_and_neck

__all__ = ['CascadeRCNN']

STAGE_SCORE_LAYOUTS = {f'bbox_head.bbox_score_stage{k}':
                       ClassLayout(prefix=0, per_class=1, background='last') for k in range(3)}


@register
class CascadeRCNN(TwoStageArch):
    """Training inputs: those of Faster R-CNN (plus `gt_poly` with a mask head). Returns
    `loss_rpn_*`, `loss_bbox_{cls,reg}_stage{k}`, `loss_mask` (with a mask head) and `loss`;
    eval gives `bbox`, `bbox_num` and, with a mask head, `mask` as Mask R-CNN does."""
    __inject__ = {'backbone': 'ResNet', 'neck': None, 'rpn_head': 'RPNHead',
                  'bbox_head': 'CascadeHead', 'bbox_post_process': 'BBoxPostProcess',
                  'mask_head': None, 'mask_post_process': None}
    class_layouts = {**STAGE_SCORE_LAYOUTS, **MASK_CLASS_LAYOUTS}

    def __init__(self, backbone: nn.Layer, rpn_head: nn.Layer, bbox_head: nn.Layer,
                 bbox_post_process: Any, neck: Optional[nn.Layer] = None,
                 mask_head: Optional[nn.Layer] = None, mask_post_process: Any = None):
        super().__init__()
        # attribute order = state-dict order of PaddleDetection's checkpoints (neck after heads)
        self.backbone = backbone
        self.rpn_head = rpn_head
        self.bbox_head = bbox_head
        self.bbox_post_process = bbox_post_process
        self.neck = neck
        self.mask_head = mask_head
        self.mask_post_process = mask_post_process
        stages = getattr(bbox_head, 'num_cascade_stages', 3)
        # this model's class-dependent layers (the class attribute lists every possible one)
        self.class_layouts = {f'bbox_head.bbox_score_stage{k}':
                              ClassLayout(prefix=0, per_class=1, background='last')
                              for k in range(stages)}
        if mask_head is not None:
            self.class_layouts.update(MASK_CLASS_LAYOUTS)

    @classmethod
    def from_config(cls, cfg: Dict[str, Any], create: Callable[..., Any],
                    input_shape: Any = None) -> Dict[str, Any]:
        backbone, neck, shapes = backbone_and_neck(cfg, create)
        bbox_head = create(cfg['bbox_head'], input_shape=shapes)
        mask_head = (create(cfg['mask_head'], input_shape=mask_head_input_shape(neck, bbox_head))
                     if cfg.get('mask_head') else None)
        return {'backbone': backbone, 'neck': neck, 'bbox_head': bbox_head,
                'rpn_head': create(cfg['rpn_head'], input_shape=shapes), 'mask_head': mask_head}

    def get_loss(self) -> Dict[str, paddle.Tensor]:
        feats = self.feature_maps()
        rois, rois_num, rpn_loss = self.rpn_head(feats, self.inputs)
        bbox_loss, bbox_feat = self.bbox_head(feats, rois, rois_num, self.inputs)
        losses = dict(rpn_loss)
        losses.update(bbox_loss)
        if self.mask_head is not None:
            rois, rois_num = self.bbox_head.assigned_rois
            losses.update(self.mask_head(feats, rois, rois_num, self.inputs,
                                         self.bbox_head.assigned_targets, bbox_feat))
        losses['loss'] = paddle.add_n(list(losses.values()))
        return losses

    def get_pred(self) -> Dict[str, paddle.Tensor]:
        feats = self.feature_maps()
        rois, rois_num, _ = self.rpn_head(feats, self.inputs)
        preds, _ = self.bbox_head(feats, rois, rois_num, self.inputs)
        im_shape, scale_factor = self.inputs['im_shape'], self.inputs['scale_factor']
        dets, dets_num = self.bbox_post_process(preds, (self.bbox_head.refined_rois, rois_num),
                                                im_shape, scale_factor)
        if self.mask_head is not None:
            return detections_with_masks(self, feats, dets, dets_num)
        bbox, bbox_num = self.bbox_post_process.get_pred(dets, dets_num, im_shape, scale_factor)
        return {'bbox': bbox, 'bbox_num': bbox_num}
