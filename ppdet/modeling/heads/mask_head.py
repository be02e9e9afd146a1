"""Mask R-CNN's mask branch (He et al., 2017): RoI features -> `MaskFeat` (3x3 convs + ReLU,
then a stride-2 2x2 transposed conv + ReLU) -> `mask_fcn_logits`, a 1x1 conv with one mask
logit map per class (C channels, no background).

FPN models pool 14x14 RoIs from the pyramid and run four 256-wide convs, giving 28x28 masks.
C4 models (`share_bbox_feat`) reuse the box head's res5 features of the RoIs: in training the
features the box head computed for the foreground RoIs, at test res5 run on 14x14 RoIs of the
detections; MaskFeat then has no convs and its deconv gives 14x14 masks.

Loss: binary cross-entropy with logits between each foreground RoI's mask of its own class and
its target, averaged over all pixels of all RoIs (`loss_mask`). Test: the sigmoid of each
detection's mask of its predicted class, [N, M, M] in [0, 1].
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import KaimingNormal

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.heads.roi_extractor import RoIAlign
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.shape_spec import channels_of

__all__ = ['MaskFeat', 'MaskHead', 'own_class_maps']


def _kaiming(fan_in: int) -> ParamAttr:
    return ParamAttr(initializer=KaimingNormal(fan_in=fan_in))


@register
class MaskFeat(nn.Layer):
    """`num_convs` 3x3 convs (`mask_inter_feat_{i}`) and the deconv `conv5_mask`, each
    followed by ReLU, in one Sequential named `upsample`. Only plain convs (`norm_type`
    null) are supported."""

    def __init__(self, in_channel: int = 256, out_channel: int = 256, num_convs: int = 4,
                 norm_type: Optional[str] = None):
        super().__init__()
        if norm_type is not None:
            raise ConfigError(f'MaskFeat.norm_type: {norm_type!r} is not supported here; '
                              f'remove it (plain convolutions, as the ResNet configs use)')
        self.in_channel = in_channel
        self.out_channel = out_channel
        self.num_convs = num_convs
        self.norm_type = norm_type
        layers = []
        for i in range(num_convs):
            name = f'mask_inter_feat_{i + 1}'
            conv = Conv2D(in_channel if i == 0 else out_channel, out_channel, 3, padding=1,
                          weight_attr=_kaiming(out_channel * 9))
            layers += [(name, conv), (name + 'act', nn.ReLU())]
        deconv = nn.Conv2DTranspose(out_channel if num_convs > 0 else in_channel, out_channel,
                                    2, stride=2, weight_attr=_kaiming(out_channel * 4))
        layers += [('conv5_mask', deconv), ('conv5_maskact', nn.ReLU())]
        self.upsample = nn.Sequential(*layers)

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        return {} if input_shape is None else {'in_channel': channels_of(input_shape)[0]}

    def out_channels(self) -> int:
        return self.out_channel

    def forward(self, feats: paddle.Tensor) -> paddle.Tensor:
        return self.upsample(feats)


def own_class_maps(logits: paddle.Tensor, classes: paddle.Tensor) -> paddle.Tensor:
    """Row i's map of class classes[i]: [N, C, M, M] -> [N, M, M]."""
    rows = paddle.arange(logits.shape[0], dtype='int64')
    index = paddle.stack([rows, classes.cast('int64').reshape([-1])], axis=1)
    return paddle.gather_nd(logits, index)


@register
class MaskHead(nn.Layer):
    """Args:
        head: the mask feature head (`MaskFeat`).
        roi_extractor: `RoIAlign` arguments (its scales come from the maps' shapes).
        mask_assigner: makes the targets in training (`MaskAssigner`).
        num_classes: foreground classes C (mask channels).
        share_bbox_feat: reuse the box head's RoI features (C4 models).
    """
    __shared__ = ['num_classes', 'export_onnx']
    __inject__ = {'head': None, 'roi_extractor': 'RoIAlign', 'mask_assigner': 'MaskAssigner'}

    def __init__(self, head: nn.Layer, roi_extractor: Any = None, mask_assigner: Any = None,
                 num_classes: int = 80, share_bbox_feat: bool = False,
                 export_onnx: bool = False):
        super().__init__()
        self.num_classes = num_classes
        self.export_onnx = export_onnx
        self.roi_extractor = (RoIAlign(**roi_extractor) if isinstance(roi_extractor, dict)
                              else roi_extractor or RoIAlign())
        self.head = head
        self.in_channels = head.out_channels()
        self.mask_assigner = mask_assigner
        self.share_bbox_feat = share_bbox_feat
        self.mask_fcn_logits = Conv2D(self.in_channels, num_classes, 1,
                                      weight_attr=_kaiming(num_classes))

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        """RoIAlign's scales and the feature head's input width come from the maps."""
        roi = cfg.get('roi_extractor') or 'RoIAlign'
        if isinstance(roi, dict) and 'name' not in roi:
            roi = dict(roi, name='RoIAlign')
        return {'roi_extractor': create(roi, input_shape=input_shape),
                'head': create(cfg['head'], input_shape=input_shape)}

    def get_loss(self, logits: paddle.Tensor, classes: paddle.Tensor, targets: paddle.Tensor,
                 weights: paddle.Tensor) -> paddle.Tensor:
        pred = own_class_maps(logits, classes)
        return F.binary_cross_entropy_with_logits(
            pred, targets.cast('float32'), weight=weights.reshape([-1, 1, 1]),
            reduction='mean')

    def forward_train(self, feats, rois, rois_num, inputs, targets,
                      bbox_feat) -> Dict[str, paddle.Tensor]:
        labels, _, gt_inds = targets
        rois, rois_num, classes, masks, index, weights = self.mask_assigner(
            rois, labels, gt_inds, inputs)
        if self.share_bbox_feat:
            rois_feat = paddle.gather(bbox_feat, index)
        else:
            rois_feat = self.roi_extractor(feats, rois, rois_num)
        logits = self.mask_fcn_logits(self.head(rois_feat))
        return {'loss_mask': self.get_loss(logits, classes, masks, weights)}

    def forward_test(self, feats, dets: paddle.Tensor, dets_num: paddle.Tensor,
                     feat_func: Optional[Callable] = None) -> paddle.Tensor:
        """Mask probabilities [N, M, M] of the detections `dets` [N, 6] (class, score, box in
        input pixels); [0, M, M] when there are none."""
        if dets.shape[0] == 0:
            return paddle.zeros([0, 1, 1], dtype='float32')
        rois_feat = self.roi_extractor(feats, [dets[:, 2:]], dets_num)
        if self.share_bbox_feat:
            if feat_func is None:
                raise ConfigError('MaskHead.share_bbox_feat needs a box head that hands over '
                                  'its feature head (BBoxHead); set share_bbox_feat: false')
            rois_feat = feat_func(rois_feat)
        logits = self.mask_fcn_logits(self.head(rois_feat))
        if self.num_classes == 1:
            return F.sigmoid(logits[:, 0])
        return F.sigmoid(own_class_maps(logits, dets[:, 0].cast('int32')))

    def forward(self, feats: Sequence[paddle.Tensor], rois: Any, rois_num: paddle.Tensor,
                inputs: Dict[str, Any], targets: Optional[Sequence] = None,
                bbox_feat: Optional[paddle.Tensor] = None,
                feat_func: Optional[Callable] = None):
        """Training: `rois` are the box head's sampled RoIs per image, `targets` its
        (labels, matched boxes, gt indices); eval: `rois` are the NMS detections [N, 6]."""
        if self.training:
            return self.forward_train(feats, rois, rois_num, inputs, targets, bbox_feat)
        return self.forward_test(feats, rois, rois_num, feat_func)
