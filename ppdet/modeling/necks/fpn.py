"""Feature Pyramid Network (Lin et al., 2017) with PaddleDetection 2.x parameter names.

Backbone maps C_s..C_5 (shallow first) get a 1x1 lateral conv each; from the deepest down,
each lateral map adds the nearest-upsampled sum above it; a 3x3 conv smooths every sum.
Extra, coarser levels follow (`extra_stage` of them): a stride-2 max-pool of the last output
when `has_extra_convs` is false (Faster R-CNN's P6), else stride-2 3x3 convs, the first on
C5 (`use_c5`) or on the last output, the next ones on the ReLU of the level before (RetinaNet's
P6, P7).

Names: laterals `fpn_inner_res{n}_sum_lateral` (the deepest: `fpn_inner_res{n}_sum`), outputs
`fpn_res{n}_sum`, extra convs `fpn_{n}`, with n the ResNet stage number (2 = stride 4).
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import XavierUniform

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.layers.conv_norm import make_norm, norm_activation
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.shape_spec import ShapeSpec, channels_of, strides_of

__all__ = ['FPN']


class _FPNConv(nn.Layer):
    """A conv with bias, or (with a norm type) a conv without bias and a norm: `conv`, `norm`."""

    def __init__(self, ch_in: int, ch_out: int, kernel: int, stride: int,
                 norm_type: Optional[str], norm_decay: float, freeze_norm: bool):
        super().__init__()
        init = ParamAttr(initializer=XavierUniform(fan_out=ch_in * kernel * kernel))
        self.conv = Conv2D(ch_in, ch_out, kernel, stride=stride, padding=(kernel - 1) // 2,
                           weight_attr=init, bias_attr=False if norm_type else None)
        self.norm = make_norm(ch_out, norm_type, norm_decay, freeze_norm) if norm_type else None

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        y = self.conv(x)
        return norm_activation(self.norm, y, None) if self.norm is not None else y


def _layer(ch_in: int, ch_out: int, kernel: int, stride: int, norm_type: Optional[str],
           norm_decay: float, freeze_norm: bool) -> nn.Layer:
    """Without a norm the conv itself is the named layer (`fpn_res2_sum.weight`), as in the
    zoo's checkpoints; with one, a `conv` + `norm` pair."""
    if norm_type:
        return _FPNConv(ch_in, ch_out, kernel, stride, norm_type, norm_decay, freeze_norm)
    init = ParamAttr(initializer=XavierUniform(fan_out=ch_in * kernel * kernel))
    return Conv2D(ch_in, ch_out, kernel, stride=stride, padding=(kernel - 1) // 2,
                  weight_attr=init)


@register
class FPN(nn.Layer):
    """Args:
        in_channels: channels of the backbone maps, shallow first (from the backbone's
            output shapes when built from a config).
        out_channel: channels of every pyramid level.
        spatial_scales: 1/stride of the backbone maps (likewise from the backbone).
        has_extra_convs, extra_stage, use_c5, relu_before_extra_convs: the extra levels
            (module docstring).
        norm_type: None, 'bn', 'sync_bn' (a norm after every conv).
    """
    __shared__ = ['norm_type']

    def __init__(self, in_channels: List[int] = [256, 512, 1024, 2048], out_channel: int = 256,
                 spatial_scales: List[float] = [0.25, 0.125, 0.0625, 0.03125],
                 has_extra_convs: bool = False, extra_stage: int = 1, use_c5: bool = True,
                 norm_type: Optional[str] = None, norm_decay: float = 0.,
                 freeze_norm: bool = False, relu_before_extra_convs: bool = True):
        super().__init__()
        if not 1 <= len(in_channels) <= 4:
            raise ConfigError(f'FPN takes 1 to 4 backbone maps, got in_channels {in_channels}')
        if len(spatial_scales) != len(in_channels):
            raise ConfigError(f'FPN: {len(spatial_scales)} spatial_scales for '
                              f'{len(in_channels)} in_channels')
        if extra_stage > 1 and not has_extra_convs:
            raise ConfigError('FPN: more than one extra level (extra_stage > 1) needs '
                              'has_extra_convs: true (pooling makes only P6)')
        self.in_channels = list(in_channels)
        self.out_channel = out_channel
        self.has_extra_convs = has_extra_convs
        self.extra_stage = extra_stage
        self.use_c5 = use_c5
        self.relu_before_extra_convs = relu_before_extra_convs
        self.spatial_scales = list(spatial_scales)
        for _ in range(extra_stage):
            self.spatial_scales.append(self.spatial_scales[-1] / 2.)
        norm = (norm_type, norm_decay, freeze_norm)
        first = 4 - len(in_channels)  # stage index of the shallowest map (0 = res2)
        last = first + len(in_channels) - 1
        self.lateral_convs, self.fpn_convs = [], []
        for i, ch_in in enumerate(self.in_channels):
            stage = first + i + 2
            lateral = (f'fpn_inner_res{stage}_sum_lateral' if first + i != last
                       else f'fpn_inner_res{stage}_sum')
            self.lateral_convs.append(self.add_sublayer(
                lateral, _layer(ch_in, out_channel, 1, 1, *norm)))
            self.fpn_convs.append(self.add_sublayer(
                f'fpn_res{stage}_sum', _layer(out_channel, out_channel, 3, 1, *norm)))
        if has_extra_convs:
            for i in range(extra_stage):
                ch_in = self.in_channels[-1] if i == 0 and use_c5 else out_channel
                self.fpn_convs.append(self.add_sublayer(
                    f'fpn_{last + 1 + i + 2}', _layer(ch_in, out_channel, 3, 2, *norm)))

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        """Channels and scales of the backbone maps this pyramid is built on."""
        if input_shape is None:
            return {}
        return {'in_channels': channels_of(input_shape),
                'spatial_scales': [1.0 / s for s in strides_of(input_shape)]}

    @property
    def out_shape(self) -> List[ShapeSpec]:
        return [ShapeSpec(channels=self.out_channel, stride=1. / s)
                for s in self.spatial_scales]

    def forward(self, body_feats: Sequence[paddle.Tensor]) -> List[paddle.Tensor]:
        if len(body_feats) != len(self.in_channels):
            raise ValueError(f'FPN expects {len(self.in_channels)} maps, got '
                             f'{len(body_feats)}')
        laterals = [conv(x) for conv, x in zip(self.lateral_convs, body_feats)]
        for lvl in range(len(laterals) - 1, 0, -1):
            up = F.interpolate(laterals[lvl], scale_factor=2., mode='nearest')
            laterals[lvl - 1] = laterals[lvl - 1] + up
        outs = [self.fpn_convs[i](lat) for i, lat in enumerate(laterals)]
        return outs + self._extra_levels(body_feats[-1], outs[-1])

    def _extra_levels(self, c5: paddle.Tensor, last: paddle.Tensor) -> List[paddle.Tensor]:
        if self.extra_stage <= 0:
            return []
        if not self.has_extra_convs:
            return [F.max_pool2d(last, kernel_size=1, stride=2)]
        n = len(self.in_channels)
        extra = [self.fpn_convs[n](c5 if self.use_c5 else last)]
        for i in range(1, self.extra_stage):
            x = F.relu(extra[-1]) if self.relu_before_extra_convs else extra[-1]
            extra.append(self.fpn_convs[n + i](x))
        return extra
