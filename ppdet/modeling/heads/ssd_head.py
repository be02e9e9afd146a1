"""SSD head: per level, one conv predicting 4 box offsets per prior and one predicting C+1
class logits per prior (background is the LAST of the C+1 channels of each prior).

Layer names `boxes{i}` / `scores{i}` follow PaddleDetection 2.x; `scores{i}` is the
class-dependent layer ([P_i*(C+1), in, k, k]) that fine-tuning re-initialises or remaps.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.regularizer import L2Decay

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.shape_spec import channels_of
from ppdet.modeling.layers.anchor_generator_ssd import AnchorGeneratorSSD
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.losses.ssd_loss import SSDLoss

__all__ = ['SSDHead']


class _SepConv(nn.Layer):
    """Depthwise k x k conv -> BN -> ReLU6 -> pointwise 1x1 conv (SSDLite predictors)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 padding: int = 1, conv_decay: float = 0.):
        super().__init__()
        self.dw_conv = nn.Conv2D(in_channels, in_channels, kernel_size, stride=1,
                                 padding=padding, groups=in_channels,
                                 weight_attr=ParamAttr(regularizer=L2Decay(conv_decay)),
                                 bias_attr=False)
        self.bn = nn.BatchNorm2D(in_channels, weight_attr=ParamAttr(regularizer=L2Decay(0.)),
                                 bias_attr=ParamAttr(regularizer=L2Decay(0.)))
        self.pw_conv = nn.Conv2D(in_channels, out_channels, 1, stride=1, padding=0,
                                 weight_attr=ParamAttr(regularizer=L2Decay(conv_decay)),
                                 bias_attr=False)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.pw_conv(F.relu6(self.bn(self.dw_conv(x))))


class _ExtraHead(nn.Layer):
    """Extra feature pyramid built from a single input map (used when `use_extra_head`)."""

    def __init__(self, in_channels: int = 256,
                 out_channels: Sequence[Sequence[int]] = ((256, 512), (256, 512), (128, 256),
                                                          (128, 256), (128, 256)),
                 strides: Sequence[int] = (2, 2, 2, 1, 1),
                 paddings: Sequence[int] = (1, 1, 1, 0, 0)):
        super().__init__()
        self.convs = nn.LayerList()
        for (hidden, out), stride, pad in zip(out_channels, strides, paddings):
            self.convs.append(nn.Sequential(
                nn.Conv2D(in_channels, hidden, 1), nn.ReLU(),
                nn.Conv2D(hidden, out, 3, stride, pad), nn.ReLU()))
            in_channels = out

    def forward(self, x: paddle.Tensor) -> List[paddle.Tensor]:
        outs = [x]
        for conv in self.convs:
            outs.append(conv(outs[-1]))
        return outs


@register
class SSDHead(nn.Layer):
    """Box and class predictors on every backbone map, plus the prior boxes.

    Args:
        num_classes: foreground classes C; the score convs predict C+1 (background last).
        in_channels: channels of each input map (set from the backbone's `out_shape` when
            built from a config).
        anchor_generator: the prior-box generator (its `num_priors` sizes the convs).
        kernel_size, padding: of the predictor convs (3/1 for VGG, 1/0 for MobileNet).
        use_sepconv: depthwise-separable predictors (SSDLite).
        conv_decay: L2 decay of the separable predictors' convs.
        loss: the training loss.
        use_extra_head: build the extra pyramid from a single input map.
    """
    __shared__ = ['num_classes']
    __inject__ = {'anchor_generator': 'AnchorGeneratorSSD', 'loss': 'SSDLoss'}

    def __init__(self, num_classes: int = 80,
                 in_channels: List[int] = [512, 1024, 512, 256, 256, 256],
                 anchor_generator: Optional[AnchorGeneratorSSD] = None, kernel_size: int = 3,
                 padding: int = 1, use_sepconv: bool = False, conv_decay: float = 0.,
                 loss: Optional[SSDLoss] = None, use_extra_head: bool = False):
        super().__init__()
        self.num_classes = num_classes + 1  # with background, as PaddleDetection stores it
        self.anchor_generator = anchor_generator or AnchorGeneratorSSD()
        self.loss = loss if loss is not None else SSDLoss()
        self.use_extra_head = use_extra_head
        self.in_channels = list(in_channels)
        if use_extra_head:
            self.ssd_extra_head = _ExtraHead()
            self.in_channels = [256, 512, 512, 256, 256, 256]
        self.num_priors = list(self.anchor_generator.num_priors)
        if len(self.in_channels) < len(self.num_priors):
            raise ConfigError(f'SSDHead: {len(self.num_priors)} anchor levels but only '
                              f'{len(self.in_channels)} input maps (in_channels '
                              f'{self.in_channels})')
        self.box_convs: List[nn.Layer] = []
        self.score_convs: List[nn.Layer] = []
        for i, num_prior in enumerate(self.num_priors):
            self.box_convs.append(self.add_sublayer(
                f'boxes{i}', self._predictor(self.in_channels[i], num_prior * 4, kernel_size,
                                             padding, use_sepconv, conv_decay)))
            self.score_convs.append(self.add_sublayer(
                f'scores{i}', self._predictor(self.in_channels[i], num_prior * self.num_classes,
                                              kernel_size, padding, use_sepconv, conv_decay)))

    @staticmethod
    def _predictor(cin: int, cout: int, k: int, pad: int, sep: bool, decay: float) -> nn.Layer:
        if sep:
            return _SepConv(cin, cout, k, pad, decay)
        return Conv2D(cin, cout, kernel_size=k, padding=pad)  # fast bias add

    def raw_outputs(self, feats: List[paddle.Tensor]):
        """Per level (box conv output [B, 4P, H, W], score conv output [B, (C+1)P, H, W])."""
        if self.use_extra_head:
            feats = self.ssd_extra_head(feats[0])
        return feats, [(b(f), s(f)) for f, b, s in zip(feats, self.box_convs, self.score_convs)]

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        """In channels come from the maps this is built on."""
        return {} if input_shape is None else {'in_channels': channels_of(input_shape)}

    def forward(self, feats: List[paddle.Tensor], image: paddle.Tensor,
                gt_bbox: Optional[paddle.Tensor] = None,
                gt_class: Optional[paddle.Tensor] = None):
        """Training: the loss (needs normalised `gt_bbox` [B, G, 4] and `gt_class`).
        Eval: ((box deltas per level [B, N_i, 4], logits per level [B, N_i, C+1]), priors)."""
        feats, raw = self.raw_outputs(feats)
        box_preds, cls_scores = [], []
        for box, score in raw:
            box_preds.append(paddle.reshape(paddle.transpose(box, [0, 2, 3, 1]), [0, -1, 4]))
            cls_scores.append(paddle.reshape(paddle.transpose(score, [0, 2, 3, 1]),
                                             [0, -1, self.num_classes]))
        prior_boxes = self.anchor_generator(feats, image)
        if self.training:
            return self.loss(box_preds, cls_scores, gt_bbox, gt_class, prior_boxes)
        return (box_preds, cls_scores), prior_boxes
