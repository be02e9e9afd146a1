"""RetinaNet head (Lin et al., 2017): two towers of 3x3 convs shared over the FPN levels, then
per anchor C sigmoid class logits (`retina_cls`) and four box deltas (`retina_reg`).

Training: every anchor is matched by `bbox_assigner`; the focal loss runs over positive and
negative anchors, the box loss over positives, both summed and divided by the number of
positives (at least 1) (`loss_cls`, `loss_reg`).
Inference, per image and level: the `nms_pre` anchors of highest class logit are decoded
(weights `weights`), divided by the scale factor (boxes are NOT clipped), then NMS.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant, Normal

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.ops.boxes import bbox2delta, delta2bbox
from ppdet.modeling.ops.traced_shapes import best_rows
from ppdet.modeling.shape_spec import channels_of

__all__ = ['RetinaHead', 'RetinaFeat']


class _TowerConv(nn.Layer):
    """3x3 conv with bias (bias learning rate x2), optionally normalised: `conv`, `norm`."""

    def __init__(self, ch_in: int, ch_out: int, norm_type: Optional[str]):
        super().__init__()
        self.conv = Conv2D(ch_in, ch_out, 3, padding=1,
                           weight_attr=ParamAttr(initializer=Normal(0., 0.01)),
                           bias_attr=ParamAttr(initializer=Constant(0.), learning_rate=2.))
        if norm_type in ('bn', 'sync_bn'):
            self.norm = nn.BatchNorm2D(ch_out)
        elif norm_type == 'gn':
            self.norm = nn.GroupNorm(32, ch_out)
        elif norm_type:
            raise ConfigError(f'RetinaFeat norm_type {norm_type!r}: use null, bn, sync_bn or gn')
        else:
            self.norm = None

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        y = self.conv(x)
        return F.relu(self.norm(y) if self.norm is not None else y)


@register
class RetinaFeat(nn.Layer):
    """The classification and regression towers (`num_convs` convs each)."""
    __shared__ = ['norm_type']

    def __init__(self, feat_in: int = 256, feat_out: int = 256, num_convs: int = 4,
                 norm_type: Optional[str] = 'bn', use_dcn: bool = False):
        super().__init__()
        if use_dcn:
            raise ConfigError('RetinaFeat.use_dcn: deformable tower convs are not supported')
        self.feat_out = feat_out
        self.cls_convs, self.reg_convs = [], []
        for i in range(num_convs):
            ch_in = feat_in if i == 0 else feat_out
            self.cls_convs.append(self.add_sublayer(f'fcos_head_cls_tower_conv_{i}',
                                                    _TowerConv(ch_in, feat_out, norm_type)))
            self.reg_convs.append(self.add_sublayer(f'fcos_head_reg_tower_conv_{i}',
                                                    _TowerConv(ch_in, feat_out, norm_type)))

    def forward(self, feat: paddle.Tensor) -> Tuple[paddle.Tensor, paddle.Tensor]:
        cls_feat, reg_feat = feat, feat
        for cls_conv, reg_conv in zip(self.cls_convs, self.reg_convs):
            cls_feat = cls_conv(cls_feat)
            reg_feat = reg_conv(reg_feat)
        return cls_feat, reg_feat


def _nhwc_rows(x: paddle.Tensor, width: int) -> paddle.Tensor:
    """[B, A*width, H, W] -> [B, H*W*A, width] (the anchors' order)."""
    return x.transpose([0, 2, 3, 1]).reshape([x.shape[0], -1, width])


@register
class RetinaHead(nn.Layer):
    __shared__ = ['num_classes']
    __inject__ = {'conv_feat': 'RetinaFeat', 'anchor_generator': 'RetinaAnchorGenerator',
                  'bbox_assigner': 'MaxIoUAssigner', 'loss_class': 'FocalLoss',
                  'loss_bbox': 'SmoothL1Loss', 'nms': 'MultiClassNMS'}

    def __init__(self, num_classes: int = 80, conv_feat: Any = None,
                 anchor_generator: Any = None, bbox_assigner: Any = None,
                 loss_class: Any = None, loss_bbox: Any = None, nms: Any = None,
                 prior_prob: float = 0.01, nms_pre: int = 1000,
                 weights: List[float] = [1., 1., 1., 1.]):
        super().__init__()
        for name, part in (('conv_feat', conv_feat), ('anchor_generator', anchor_generator)):
            if part is None:
                raise ConfigError(f'RetinaHead needs {name}')
        self.num_classes = num_classes
        self.conv_feat = conv_feat
        self.anchor_generator = anchor_generator
        self.bbox_assigner = bbox_assigner
        self.loss_class = loss_class
        self.loss_bbox = loss_bbox
        self.nms = nms
        self.nms_pre = nms_pre
        self.weights = list(weights)
        self.num_anchors = anchor_generator.num_anchors
        bias = -math.log((1 - prior_prob) / prior_prob)
        self.retina_cls = Conv2D(conv_feat.feat_out, self.num_anchors * num_classes, 3,
                                 padding=1, weight_attr=ParamAttr(initializer=Normal(0., 0.01)),
                                 bias_attr=ParamAttr(initializer=Constant(bias)))
        self.retina_reg = Conv2D(conv_feat.feat_out, self.num_anchors * 4, 3, padding=1,
                                 weight_attr=ParamAttr(initializer=Normal(0., 0.01)),
                                 bias_attr=ParamAttr(initializer=Constant(0.)))

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        """The towers' input width is that of the pyramid levels."""
        if input_shape is None:
            return {}
        feat = cfg.get('conv_feat') or 'RetinaFeat'
        if isinstance(feat, dict) and 'name' not in feat:
            feat = dict(feat, name='RetinaFeat')
        return {'conv_feat': create(feat, feat_in=channels_of(input_shape)[0])}

    def forward(self, feats: Sequence[paddle.Tensor], targets: Optional[Dict] = None):
        cls_logits, bbox_regs = [], []
        for feat in feats:
            cls_feat, reg_feat = self.conv_feat(feat)
            cls_logits.append(self.retina_cls(cls_feat))
            bbox_regs.append(self.retina_reg(reg_feat))
        if self.training:
            return self.get_loss(cls_logits, bbox_regs, targets)
        return cls_logits, bbox_regs

    def _image_targets(self, anchors, logits, regs, gt_bbox, gt_class):
        """One image's (class logits, class targets, box deltas, box targets) of the anchors
        that take part in the loss."""
        matches, labels = self.bbox_assigner(anchors, gt_bbox)
        positive, negative = labels == 1, labels == 0
        chosen = paddle.logical_or(positive, negative)
        classes = paddle.concat([gt_class.reshape([-1]).cast('int64'),
                                 paddle.to_tensor([self.num_classes], dtype='int64')])
        matches = paddle.where(negative, paddle.full_like(matches, classes.shape[0] - 1),
                               matches)
        cls_target = classes[matches[chosen]]
        box_target = bbox2delta(anchors[positive], gt_bbox[matches[positive]].reshape([-1, 4]),
                                self.weights)
        return logits[chosen], cls_target, regs[positive].reshape([-1, 4]), box_target

    def get_loss(self, cls_logits, bbox_regs, targets) -> Dict[str, paddle.Tensor]:
        anchors = paddle.concat(self.anchor_generator(cls_logits))
        logits = paddle.concat([_nhwc_rows(x, self.num_classes) for x in cls_logits], axis=1)
        regs = paddle.concat([_nhwc_rows(x, 4) for x in bbox_regs], axis=1)
        parts = [self._image_targets(anchors, logits[i], regs[i], gt, cls)
                 for i, (gt, cls) in enumerate(zip(targets['gt_bbox'], targets['gt_class']))]
        cls_pred, cls_tar, reg_pred, reg_tar = (paddle.concat(list(p)) for p in zip(*parts))
        avg_factor = max(1.0, float(reg_pred.shape[0]))
        loss_cls = self.loss_class(cls_pred, cls_tar, reduction='sum') / avg_factor
        if reg_pred.shape[0] == 0:
            loss_reg = paddle.zeros([1])
            loss_reg.stop_gradient = False
        else:
            loss_reg = self.loss_bbox(reg_pred, reg_tar, reduction='sum') / avg_factor
        return {'loss_cls': loss_cls, 'loss_reg': loss_reg, 'loss': loss_cls + loss_reg}

    def _decode_image(self, anchors, logits, regs, scale_factor):
        """One image: boxes [M, 4] in original pixels and sigmoid scores [C, M]."""
        boxes, scores = [], []
        for anchor, logit, reg in zip(anchors, logits, regs):
            logit = logit.reshape([-1, self.num_classes])
            reg = reg.reshape([-1, 4])
            top = None if self.nms_pre is None else best_rows(logit.max(axis=1), self.nms_pre)
            if top is not None:
                reg, anchor, logit = reg.gather(top), anchor.gather(top), logit.gather(top)
            boxes.append(delta2bbox(reg, anchor, self.weights).reshape([-1, 4]))
            scores.append(F.sigmoid(logit))
        sf = scale_factor[::-1]
        boxes = paddle.concat(boxes) / paddle.concat([sf, sf])
        return boxes, paddle.concat(scores).transpose([1, 0])

    def post_process(self, head_outs, im_shape: paddle.Tensor, scale_factor: paddle.Tensor):
        """-> (bbox [N, 6] in original pixels, bbox_num [B])."""
        cls_logits, bbox_regs = head_outs
        anchors = self.anchor_generator(cls_logits)
        logits = [x.transpose([0, 2, 3, 1]) for x in cls_logits]
        regs = [x.transpose([0, 2, 3, 1]) for x in bbox_regs]
        decoded = [self._decode_image(anchors, [x[i] for x in logits], [x[i] for x in regs],
                                      scale_factor[i]) for i in range(logits[0].shape[0])]
        boxes = paddle.stack([b for b, _ in decoded])
        scores = paddle.stack([s for _, s in decoded])
        bbox, bbox_num, _ = self.nms(boxes, scores)
        return bbox, bbox_num
