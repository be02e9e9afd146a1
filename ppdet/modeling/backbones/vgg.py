"""VGG backbone for SSD, with the SSD extra layers and the L2-normalised conv4_3 branch.

Parameter names follow PaddleDetection 2.x (`conv_block_i.convj`, `fc6`, `fc7`, `conv6..9`,
`norm0.scale`) so the zoo's SSD-VGG16 and caffe-converted VGG16 checkpoints load by name.
The state-dict order (the extra blocks before `norm0`) matches theirs too.

Returned maps (300x300 input): conv4_3 (512 ch, 38x38, L2-normalised and scaled by `norm0`),
fc7 (1024, 19x19), then one map per extra block (512/256/256/256 at 10, 5, 3, 1).
"""
from __future__ import annotations

from typing import Dict, List, Optional

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.shape_spec import ShapeSpec

__all__ = ['VGG', 'L2NormScale']

# number of 3x3 convs in each of the five VGG stages
_VGG_GROUPS = {16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}


class _ConvBlock(nn.Layer):
    """`groups` 3x3 convs with ReLU, then max-pooling (ceil mode, so 75 -> 38 as in caffe).

    Returns both the pre-pool map (conv4_3 is an SSD feature) and the pooled one.
    """

    def __init__(self, in_channels: int, out_channels: int, groups: int, pool_size: int = 2,
                 pool_stride: int = 2, pool_padding: int = 0):
        super().__init__()
        self.conv0 = Conv2D(in_channels, out_channels, 3, 1, 1)
        self.convs = [self.conv0]
        for i in range(1, groups):
            self.convs.append(self.add_sublayer(f'conv{i}', Conv2D(out_channels, out_channels,
                                                                   3, 1, 1)))
        self.pool = nn.MaxPool2D(kernel_size=pool_size, stride=pool_stride, padding=pool_padding,
                                 ceil_mode=True)

    def forward(self, x: paddle.Tensor):
        # ReLUs here and below run in place on fresh conv outputs (the conv's backward needs
        # its input, not its output): one buffer less per layer
        for conv in self.convs:
            x = F.relu_(conv(x))
        if self.training and paddle.is_grad_enabled() and paddle.in_dynamic_mode():
            # same maxima; keeping the argmax makes the backward a scatter instead of a
            # re-search of every window (about 20% faster on the big maps, same gradients)
            p = self.pool
            return x, F.max_pool2d(x, p.ksize, p.stride, p.padding, ceil_mode=True,
                                   return_mask=True)[0]
        return x, self.pool(x)


class _ExtraBlock(nn.Layer):
    """SSD extra layer: 1x1 conv to `mid`, then a `kernel` conv (stride, padding) to `out`."""

    def __init__(self, in_channels: int, mid_channels: int, out_channels: int, padding: int,
                 stride: int, kernel_size: int):
        super().__init__()
        self.conv0 = Conv2D(in_channels, mid_channels, 1, 1, 0)
        self.conv1 = Conv2D(mid_channels, out_channels, kernel_size, stride, padding)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return F.relu_(self.conv1(F.relu_(self.conv0(x))))


class L2NormScale(nn.Layer):
    """Per-location L2 normalisation over channels, times a learned per-channel scale.

    conv4_3 activations are much larger than the deeper maps'; SSD normalises them and learns
    the scale (initialised to 20) so that level-0 predictions train at a comparable rate.
    """

    def __init__(self, num_channels: int, scale: float = 1.0):
        super().__init__()
        self.scale = self.create_parameter(
            shape=[num_channels], attr=ParamAttr(initializer=Constant(scale)))

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        out = F.normalize(x, axis=1, epsilon=1e-10)
        return out * self.scale.reshape([1, -1, 1, 1])


@register
class VGG(nn.Layer):
    """VGG-16/19 with SSD's extra layers.

    Args:
        depth: 16 or 19.
        normalizations: one entry per returned map; a value other than -1 puts an
            `L2NormScale` initialised to that value on the map (SSD: `[20., -1, ...]`).
        extra_block_filters: per extra block `[mid, out, padding, stride, kernel]`.
    """

    def __init__(self, depth: int = 16,
                 normalizations: List[float] = [20., -1, -1, -1, -1, -1],
                 extra_block_filters: List[List[int]] = [[256, 512, 1, 2, 3],
                                                         [128, 256, 1, 2, 3],
                                                         [128, 256, 0, 1, 3],
                                                         [128, 256, 0, 1, 3]]):
        super().__init__()
        if depth not in _VGG_GROUPS:
            raise ConfigError(f'VGG.depth {depth} is not supported; use 16 or 19')
        for f in extra_block_filters:
            if len(f) != 5:
                raise ConfigError(f'VGG.extra_block_filters entry {f} must be '
                                  f'[mid, out, padding, stride, kernel]')
        num_maps = 2 + len(extra_block_filters)
        if len(normalizations) > num_maps:
            raise ConfigError(f'VGG.normalizations has {len(normalizations)} entries but the '
                              f'backbone returns {num_maps} maps')
        groups = _VGG_GROUPS[depth]
        self.depth = depth
        self.conv_block_0 = _ConvBlock(3, 64, groups[0])
        self.conv_block_1 = _ConvBlock(64, 128, groups[1])
        self.conv_block_2 = _ConvBlock(128, 256, groups[2])
        self.conv_block_3 = _ConvBlock(256, 512, groups[3])
        self.conv_block_4 = _ConvBlock(512, 512, groups[4], 3, 1, 1)
        self.fc6 = Conv2D(512, 1024, 3, 1, padding=6, dilation=6)
        self.fc7 = Conv2D(1024, 1024, 1, 1)
        channels = [512, 1024]
        strides = [8, 16]
        self.extra_convs: List[nn.Layer] = []
        last, stride = 1024, 16
        for i, (mid, out, pad, s, k) in enumerate(extra_block_filters):
            self.extra_convs.append(self.add_sublayer(
                f'conv{6 + i}', _ExtraBlock(last, mid, out, pad, s, k)))
            last, stride = out, stride * s
            channels.append(out)
            strides.append(stride)
        self.norms: List[Optional[nn.Layer]] = []
        for i, n in enumerate(normalizations):
            self.norms.append(None if n == -1 else
                              self.add_sublayer(f'norm{i}', L2NormScale(channels[i], n)))
        self._out_shape = [ShapeSpec(channels=c, stride=s) for c, s in zip(channels, strides)]

    def forward(self, inputs: Dict[str, paddle.Tensor]) -> List[paddle.Tensor]:
        _, x = self.conv_block_0(inputs['image'])
        _, x = self.conv_block_1(x)
        _, x = self.conv_block_2(x)
        conv4_3, x = self.conv_block_3(x)
        _, x = self.conv_block_4(x)
        x = F.relu_(self.fc7(F.relu_(self.fc6(x))))
        outs = [conv4_3, x]
        for block in self.extra_convs:
            x = block(x)
            outs.append(x)
        for i, norm in enumerate(self.norms):
            if norm is not None:
                outs[i] = norm(outs[i])
        return outs

    @property
    def out_shape(self) -> List[ShapeSpec]:
        return list(self._out_shape)
