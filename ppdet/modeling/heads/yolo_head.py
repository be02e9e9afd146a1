"""YOLOv3 head: one 1x1 conv per level giving, per anchor, (tx, ty, tw, th, obj, classes)."""
from __future__ import annotations

from typing import Dict, List, Optional

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.regularizer import L2Decay

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.shape_spec import channels_of
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.losses.yolo_loss import YOLOv3Loss

__all__ = ['YOLOv3Head']

DEFAULT_ANCHORS = [[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90],
                   [156, 198], [373, 326]]
DEFAULT_MASKS = [[6, 7, 8], [3, 4, 5], [0, 1, 2]]


def _de_sigmoid(x: paddle.Tensor, eps: float = 1e-7) -> paddle.Tensor:
    x = paddle.clip(x, eps, 1. / eps)
    x = paddle.clip(1. / x - 1., eps, 1. / eps)
    return -paddle.log(x)


@register
class YOLOv3Head(nn.Layer):
    """Level i (deepest first) uses the anchors `anchor_masks[i]` of `anchors` (input pixels).

    Training returns the loss dict of `loss`; eval returns the raw maps
    [B, A*(5+C), H, W]. With `iou_aware`, each level has A extra leading channels (IoU logits)
    which, in eval, are folded into the objectness as obj^(1-f) * iou^f.
    """
    __shared__ = ['num_classes', 'data_format']
    __inject__ = {'loss': 'YOLOv3Loss'}

    def __init__(self, in_channels: List[int] = [1024, 512, 256],
                 anchors: List[List[int]] = DEFAULT_ANCHORS,
                 anchor_masks: List[List[int]] = DEFAULT_MASKS, num_classes: int = 80,
                 loss: Optional[nn.Layer] = None, iou_aware: bool = False,
                 iou_aware_factor: float = 0.4, data_format: str = 'NCHW'):
        super().__init__()
        if len(in_channels) != len(anchor_masks):
            raise ConfigError(f'YOLOv3Head: {len(in_channels)} input levels but '
                              f'{len(anchor_masks)} anchor_masks')
        for mask in anchor_masks:
            for m in mask:
                if not 0 <= m < len(anchors):
                    raise ConfigError(f'YOLOv3Head: anchor mask index {m} out of range for '
                                      f'{len(anchors)} anchors')
        self.in_channels = list(in_channels)
        self.num_classes = num_classes
        self.loss = loss if loss is not None else YOLOv3Loss(num_classes=num_classes)
        self.iou_aware = iou_aware
        self.iou_aware_factor = iou_aware_factor
        self.data_format = data_format
        self.anchors = [[list(anchors[i]) for i in mask] for mask in anchor_masks]
        self.mask_anchors = [[int(v) for i in mask for v in anchors[i]] for mask in anchor_masks]
        self.yolo_outputs = []
        for i, level_anchors in enumerate(self.anchors):
            per_anchor = num_classes + (6 if iou_aware else 5)
            conv = Conv2D(self.in_channels[i], len(level_anchors) * per_anchor, 1,
                          data_format=data_format,
                          bias_attr=ParamAttr(regularizer=L2Decay(0.)))
            self.yolo_outputs.append(self.add_sublayer(f'yolo_output.{i}', conv))

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        """In channels come from the maps this is built on."""
        return {} if input_shape is None else {'in_channels': channels_of(input_shape)}

    def forward(self, feats: List[paddle.Tensor],
                targets: Optional[Dict[str, paddle.Tensor]] = None):
        outs = []
        for conv, feat in zip(self.yolo_outputs, feats):
            out = conv(feat)
            if self.data_format == 'NHWC':
                out = paddle.transpose(out, [0, 3, 1, 2])
            outs.append(out)
        if self.training:
            return self.loss(outs, targets, self.anchors)
        if self.iou_aware:
            outs = [self._fold_iou(out, len(a)) for out, a in zip(outs, self.anchors)]
        return outs

    def _fold_iou(self, out: paddle.Tensor, na: int) -> paddle.Tensor:
        ioup, x = out[:, :na], out[:, na:]
        b, c, h, w = x.shape
        x = x.reshape([b, na, c // na, h * w])
        ioup = F.sigmoid(ioup.reshape([b, na, 1, h * w]))
        obj = F.sigmoid(x[:, :, 4:5])
        f = self.iou_aware_factor
        obj = _de_sigmoid(obj ** (1 - f) * ioup ** f)
        y = paddle.concat([x[:, :, :4], obj, x[:, :, 5:]], axis=2)
        return y.reshape([b, c, h, w])
