"""The second R-CNN stage: RoI features -> a head (`TwoFCHead` for FPN, `Res5Head` for C4) ->
class logits (`bbox_score`, C+1 with the background LAST) and class-specific box deltas
(`bbox_delta`, 4 per class, weights `bbox_weight`).

Loss: softmax cross-entropy over the sampled RoIs (mean), and L1 between the foreground RoIs'
deltas of their own class and their targets, summed and divided by the number of sampled RoIs
(`loss_bbox_cls`, `loss_bbox_reg`).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Normal, XavierUniform

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.heads.roi_extractor import RoIAlign
from ppdet.modeling.ops.boxes import bbox2delta
from ppdet.modeling.shape_spec import ShapeSpec, channels_of

__all__ = ['BBoxHead', 'TwoFCHead', 'rcnn_box_loss']


@register
class TwoFCHead(nn.Layer):
    """Flattened RoI features -> fc6 -> ReLU -> fc7 -> ReLU (`out_channel` wide)."""

    def __init__(self, in_channel: int = 256, out_channel: int = 1024, resolution: int = 7):
        super().__init__()
        self.in_channel = in_channel
        self.out_channel = out_channel
        fan = in_channel * resolution * resolution
        self.fc6 = nn.Linear(fan, out_channel,
                             weight_attr=ParamAttr(initializer=XavierUniform(fan_out=fan)))
        self.fc7 = nn.Linear(out_channel, out_channel,
                             weight_attr=ParamAttr(initializer=XavierUniform()))

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        return {} if input_shape is None else {'in_channel': channels_of(input_shape)[0]}

    @property
    def out_shape(self) -> List[ShapeSpec]:
        return [ShapeSpec(channels=self.out_channel)]

    def forward(self, rois_feat: paddle.Tensor) -> paddle.Tensor:
        x = paddle.flatten(rois_feat, start_axis=1, stop_axis=-1)
        return F.relu(self.fc7(F.relu(self.fc6(x))))


def _class_specific(deltas: paddle.Tensor, classes: paddle.Tensor) -> paddle.Tensor:
    """Row i's four deltas of class classes[i], from [N, 4C]."""
    rows = paddle.tile(paddle.arange(classes.shape[0]).unsqueeze(1), [1, 4]).reshape([-1, 1])
    cols = (4 * classes.unsqueeze(1) + paddle.arange(4)).reshape([-1, 1])
    return paddle.gather_nd(deltas, paddle.concat([rows, cols], axis=1)).reshape([-1, 4])


def rcnn_box_loss(scores: paddle.Tensor, deltas: paddle.Tensor, labels: Sequence,
                  matched_boxes: Sequence, rois: Sequence, num_classes: int,
                  bbox_weight: Sequence[float], box_loss: Optional[Any] = None,
                  ) -> Dict[str, paddle.Tensor]:
    """The two losses of one box-head stage (module docstring); `deltas` [N, 4] are
    class-agnostic (Cascade R-CNN), [N, 4C] class-specific."""
    labels = paddle.concat(labels) if len(labels) > 1 else labels[0]
    labels = labels.cast('int64')
    labels.stop_gradient = True
    losses: Dict[str, paddle.Tensor] = {}
    if paddle.nonzero(labels >= 0).shape[0] == 0:
        losses['loss_bbox_cls'] = paddle.zeros([1], dtype='float32')
    else:
        losses['loss_bbox_cls'] = F.cross_entropy(scores, labels, reduction='mean')
    fg = paddle.nonzero(paddle.logical_and(labels >= 0, labels < num_classes)).flatten()
    if fg.numel() == 0:
        losses['loss_bbox_reg'] = paddle.zeros([1], dtype='float32')
        return losses
    pred = paddle.gather(deltas, fg)
    if deltas.shape[1] != 4:
        pred = _class_specific(pred, paddle.gather(labels, fg))
    rois = paddle.concat(rois) if len(rois) > 1 else rois[0]
    boxes = paddle.concat(matched_boxes) if len(matched_boxes) > 1 else matched_boxes[0]
    target = paddle.gather(bbox2delta(rois, boxes, bbox_weight), fg)
    target.stop_gradient = True
    if box_loss is not None:
        loss = box_loss(pred, target).sum()
    else:
        loss = paddle.abs(pred - target).sum()
    losses['loss_bbox_reg'] = loss / labels.shape[0]
    return losses


@register
class BBoxHead(nn.Layer):
    """Args:
        head: the RoI feature head (`TwoFCHead`, `Res5Head`).
        in_channel: the head's output width (from the head when built from a config).
        roi_extractor: `RoIAlign` arguments (its scales come from the maps' shapes).
        bbox_assigner: samples RoIs and their targets in training.
        with_pool: average-pool the head's maps first (C4's Res5Head).
        num_classes: foreground classes C.
        bbox_weight: delta weights of the box coder.
        bbox_loss: a box loss instead of plain L1.
    """
    __shared__ = ['num_classes']
    __inject__ = {'head': None, 'roi_extractor': 'RoIAlign', 'bbox_assigner': 'BBoxAssigner',
                  'bbox_loss': None}

    def __init__(self, head: nn.Layer, in_channel: int = 1024,
                 roi_extractor: Any = None, bbox_assigner: Any = None,
                 with_pool: bool = False, num_classes: int = 80,
                 bbox_weight: List[float] = [10., 10., 5., 5.], bbox_loss: Optional[Any] = None,
                 loss_normalize_pos: bool = False):
        super().__init__()
        if loss_normalize_pos:
            raise ConfigError('BBoxHead.loss_normalize_pos: true is not supported here')
        self.head = head
        self.roi_extractor = (RoIAlign(**roi_extractor) if isinstance(roi_extractor, dict)
                              else roi_extractor or RoIAlign())
        self.bbox_assigner = bbox_assigner
        self.with_pool = with_pool
        self.num_classes = num_classes
        self.bbox_weight = list(bbox_weight)
        self.bbox_loss = bbox_loss
        self.bbox_score = nn.Linear(in_channel, num_classes + 1,
                                    weight_attr=ParamAttr(initializer=Normal(0., 0.01)))
        self.bbox_delta = nn.Linear(in_channel, 4 * num_classes,
                                    weight_attr=ParamAttr(initializer=Normal(0., 0.001)))
        self.assigned_rois: Tuple = ()
        self.assigned_targets: Tuple = ()

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        """RoIAlign's scales and the head come from the maps; the predictors from the head."""
        roi = cfg.get('roi_extractor') or 'RoIAlign'
        if isinstance(roi, dict) and 'name' not in roi:
            roi = dict(roi, name='RoIAlign')
        head = create(cfg['head'], input_shape=input_shape)
        return {'roi_extractor': create(roi, input_shape=input_shape), 'head': head,
                'in_channel': head.out_shape[0].channels}

    def _features(self, feats, rois, rois_num) -> Tuple[paddle.Tensor, paddle.Tensor]:
        head_feat = self.head(self.roi_extractor(feats, rois, rois_num))
        if not self.with_pool:
            return head_feat, head_feat
        pooled = F.adaptive_avg_pool2d(head_feat, output_size=1)
        return paddle.squeeze(pooled, axis=[2, 3]), head_feat

    def forward(self, feats: Sequence[paddle.Tensor], rois: List[paddle.Tensor],
                rois_num: paddle.Tensor, inputs: Optional[Dict[str, Any]] = None):
        """Training: (losses, head features); eval: ((deltas, class probabilities), head)."""
        if self.training:
            rois, rois_num, targets = self.bbox_assigner(rois, rois_num, inputs)
            self.assigned_rois, self.assigned_targets = (rois, rois_num), targets
        feat, head_feat = self._features(feats, rois, rois_num)
        scores = self.bbox_score(feat)
        deltas = self.bbox_delta(feat)
        if self.training:
            labels, boxes, _ = targets
            return rcnn_box_loss(scores, deltas, labels, boxes, rois, self.num_classes,
                                 self.bbox_weight, self.bbox_loss), head_feat
        return (deltas, F.softmax(scores)), self.head
