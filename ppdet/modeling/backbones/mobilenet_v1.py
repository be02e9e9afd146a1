"""MobileNetV1 backbone with PaddleDetection 2.x parameter names, plus SSD's extra blocks.

Zoo checkpoints (ImageNet MobileNetV1, YOLOv3-MobileNet, SSD-MobileNet) are loaded by name, so
the layer attribute names below (`conv1`, `conv2_1`.. `conv6`, `_depthwise_conv`,
`_pointwise_conv`, `_conv`, `_batch_norm`, and `conv7_i.pointwise_conv / normal_conv` for the
extra blocks) are part of the interface and must not change.

Feature indices: `feature_maps` counts the 13 depthwise-separable blocks from 1 (block 1 is
`conv2_1`, block 13 is `conv6`); the extra blocks continue at 14, 15, ... So YOLOv3 uses
`[4, 6, 13]` (strides 8, 16, 32) and SSD uses `[11, 13, 14, 15, 16, 17]`.
"""
from __future__ import annotations

from typing import Dict, List, Optional

import paddle
import paddle.nn as nn
from paddle import ParamAttr
from paddle.nn.initializer import KaimingNormal
from paddle.regularizer import L2Decay

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.layers.conv_norm import conv_norm_activation, make_norm
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.shape_spec import ShapeSpec

__all__ = ['MobileNet']

# (out_channels1, out_channels2, groups, stride) of the 13 depthwise-separable blocks, named
# as PaddleDetection names them; channels are before `scale`.
_DWS_BLOCKS = (
    ('conv2_1', 32, 64, 32, 1),
    ('conv2_2', 64, 128, 64, 2),
    ('conv3_1', 128, 128, 128, 1),
    ('conv3_2', 128, 256, 128, 2),
    ('conv4_1', 256, 256, 256, 1),
    ('conv4_2', 256, 512, 256, 2),
    ('conv5_1', 512, 512, 512, 1),
    ('conv5_2', 512, 512, 512, 1),
    ('conv5_3', 512, 512, 512, 1),
    ('conv5_4', 512, 512, 512, 1),
    ('conv5_5', 512, 512, 512, 1),
    ('conv5_6', 512, 1024, 512, 2),
    ('conv6', 1024, 1024, 1024, 1),
)


class _ConvBN(nn.Layer):
    """Conv (no bias, Kaiming init, own lr and L2 decay) -> BatchNorm -> activation.

    Differs from `layers.ConvBNLayer` only in the sub-layer names (`_conv`, `_batch_norm`),
    which MobileNetV1 checkpoints use.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int,
                 padding: int, groups: int = 1, act: Optional[str] = 'relu',
                 conv_lr: float = 1., conv_decay: float = 0., norm_decay: float = 0.,
                 norm_type: str = 'bn'):
        super().__init__()
        self._conv = Conv2D(
            in_channels, out_channels, kernel_size=kernel_size, stride=stride, padding=padding,
            groups=groups,
            weight_attr=ParamAttr(learning_rate=conv_lr, initializer=KaimingNormal(),
                                  regularizer=L2Decay(conv_decay)),
            bias_attr=False)
        self._batch_norm = make_norm(out_channels, norm_type, norm_decay)
        self.act = act

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return conv_norm_activation(self._conv, self._batch_norm, x, self.act)


class _DepthwiseSeparable(nn.Layer):
    """3x3 depthwise conv (stride s) then 1x1 pointwise conv, both with BN and ReLU."""

    def __init__(self, in_channels: int, out_channels1: int, out_channels2: int, groups: int,
                 stride: int, scale: float, **conv_kw):
        super().__init__()
        mid = int(out_channels1 * scale)
        self._depthwise_conv = _ConvBN(in_channels, mid, 3, stride, 1,
                                       groups=int(groups * scale), **conv_kw)
        self._pointwise_conv = _ConvBN(mid, int(out_channels2 * scale), 1, 1, 0, **conv_kw)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self._pointwise_conv(self._depthwise_conv(x))


class _ExtraBlock(nn.Layer):
    """SSD extra block: 1x1 conv to `ch1`, then 3x3 stride-2 conv to `ch2`, both ReLU6."""

    def __init__(self, in_channels: int, ch1: int, ch2: int, stride: int, **conv_kw):
        super().__init__()
        self.pointwise_conv = _ConvBN(in_channels, ch1, 1, 1, 0, act='relu6', **conv_kw)
        self.normal_conv = _ConvBN(ch1, ch2, 3, stride, 1, act='relu6', **conv_kw)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return self.normal_conv(self.pointwise_conv(x))


@register
class MobileNet(nn.Layer):
    """MobileNetV1 returning the feature maps listed in `feature_maps` (see module docstring).

    Args:
        norm_type: 'bn' or 'sync_bn' (plain BatchNorm in a single process).
        norm_decay: L2 decay of the BatchNorm scale and shift.
        conv_decay: L2 decay of the conv weights (0.00004 in the SSD config).
        scale: width multiplier applied to every block's channels.
        conv_learning_rate: learning-rate multiplier of the conv weights.
        feature_maps: 1-based block indices to return, ascending.
        with_extra_blocks: append SSD's extra blocks (indices 14, 15, ...) after `conv6`.
        extra_block_filters: `[ch1, ch2]` per extra block (1x1 to ch1, 3x3 stride 2 to ch2).
    """
    __shared__ = ['norm_type']

    def __init__(self, norm_type: str = 'bn', norm_decay: float = 0., conv_decay: float = 0.,
                 scale: float = 1.0, conv_learning_rate: float = 1.0,
                 feature_maps: List[int] = [4, 6, 13], with_extra_blocks: bool = False,
                 extra_block_filters: List[List[int]] = [[256, 512], [128, 256], [128, 256],
                                                         [64, 128]]):
        super().__init__()
        num_blocks = len(_DWS_BLOCKS) + (len(extra_block_filters) if with_extra_blocks else 0)
        bad = [i for i in feature_maps if not 1 <= i <= num_blocks]
        if bad:
            raise ConfigError(f'MobileNet.feature_maps {list(feature_maps)}: indices {bad} are '
                              f'outside 1..{num_blocks} (13 blocks'
                              f'{" + extra blocks" if with_extra_blocks else ""})')
        if list(feature_maps) != sorted(feature_maps):
            raise ConfigError(f'MobileNet.feature_maps {list(feature_maps)} must be ascending')
        for f in extra_block_filters:
            if len(f) != 2:
                raise ConfigError(f'MobileNet.extra_block_filters entry {f} must be [ch1, ch2]')
        self.feature_maps = list(feature_maps)
        self.with_extra_blocks = with_extra_blocks
        self.extra_block_filters = [list(f) for f in extra_block_filters]
        conv_kw: Dict = dict(conv_lr=conv_learning_rate, conv_decay=conv_decay,
                             norm_decay=norm_decay, norm_type=norm_type)

        self.conv1 = _ConvBN(3, int(32 * scale), 3, 2, 1, **conv_kw)
        self.dwsl: List[nn.Layer] = []
        channels: List[int] = []
        strides: List[int] = []
        in_c, stride = int(32 * scale), 2
        for name, c1, c2, groups, s in _DWS_BLOCKS:
            block = self.add_sublayer(name, _DepthwiseSeparable(in_c, c1, c2, groups, s, scale,
                                                                **conv_kw))
            self.dwsl.append(block)
            in_c, stride = int(c2 * scale), stride * s
            channels.append(in_c)
            strides.append(stride)

        self.extra_blocks: List[nn.Layer] = []
        if with_extra_blocks:
            for i, (c1, c2) in enumerate(self.extra_block_filters):
                block = self.add_sublayer(f'conv7_{i + 1}',
                                          _ExtraBlock(in_c, int(c1), int(c2), 2, **conv_kw))
                self.extra_blocks.append(block)
                in_c, stride = int(c2), stride * 2
                channels.append(in_c)
                strides.append(stride)
        self._out_shape = [ShapeSpec(channels=channels[i - 1], stride=strides[i - 1])
                           for i in self.feature_maps]

    def forward(self, inputs: Dict[str, paddle.Tensor]) -> List[paddle.Tensor]:
        outs: List[paddle.Tensor] = []
        y = self.conv1(inputs['image'])
        last = max(self.feature_maps)
        for idx, block in enumerate(list(self.dwsl) + list(self.extra_blocks), start=1):
            if idx > last:  # nothing later is returned: skip the work
                break
            y = block(y)
            if idx in self.feature_maps:
                outs.append(y)
        return outs

    @property
    def out_shape(self) -> List[ShapeSpec]:
        return list(self._out_shape)
