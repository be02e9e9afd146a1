"""ResNet 18/34/50/101/152 (variants a-d) with PaddleDetection 2.x parameter names.

Shared by YOLOv3 (R50-vd + DCNv2), Faster R-CNN and RetinaNet. Names zoo checkpoints rely on:
stem `conv1.conv1` (b) or `conv1.conv1_1..3` (c/d); stages `res2..res5`, blocks `res{n}a`,
`res{n}b`, ... (`res4b1..b22` for ResNet-101); inside a block `short`, `branch2a..c`, each with
`conv` and `norm` (a vd downsampling shortcut is `short.pool` + `short.conv`); a DCNv2 conv adds
`conv_offset` beside its `conv`.
"""
from __future__ import annotations

import math
from numbers import Integral
from typing import Dict, List, Optional, Union

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Constant, Uniform
from paddle.vision.ops import DeformConv2D

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.layers.conv_norm import (conv_norm_activation, freeze_layer, make_norm,
                                              norm_activation)
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.shape_spec import ShapeSpec

__all__ = ['ResNet', 'ConvNormLayer', 'BottleNeck', 'BasicBlock', 'Res5Head']

RESNET_BLOCKS = {18: [2, 2, 2, 2], 34: [3, 4, 6, 3], 50: [3, 4, 6, 3], 101: [3, 4, 23, 3],
                 152: [3, 8, 36, 3]}


class ConvNormLayer(nn.Layer):
    """Conv (or modulated deformable conv) without bias -> BatchNorm -> optional activation.

    With `dcn_v2`, `conv_offset` (zero-initialised) predicts 2k^2 offsets then k^2 mask logits.
    """

    def __init__(self, ch_in: int, ch_out: int, filter_size: int, stride: int, groups: int = 1,
                 act: Optional[str] = None, norm_type: str = 'bn', norm_decay: float = 0.,
                 freeze_norm: bool = True, lr: float = 1.0, dcn_v2: bool = False):
        super().__init__()
        self.act = act
        self.dcn_v2 = dcn_v2
        pad = (filter_size - 1) // 2
        if dcn_v2:
            self.offset_channel = 2 * filter_size ** 2
            self.mask_channel = filter_size ** 2
            self.conv_offset = Conv2D(ch_in, 3 * filter_size ** 2, filter_size, stride, pad,
                                      weight_attr=ParamAttr(initializer=Constant(0.)),
                                      bias_attr=ParamAttr(initializer=Constant(0.)))
            self.conv = DeformConv2D(ch_in, ch_out, filter_size, stride, pad, dilation=1,
                                     groups=groups, weight_attr=ParamAttr(learning_rate=lr),
                                     bias_attr=False)
        else:
            self.conv = Conv2D(ch_in, ch_out, filter_size, stride, pad, groups=groups,
                               weight_attr=ParamAttr(learning_rate=lr), bias_attr=False)
        self.norm = make_norm(ch_out, norm_type, norm_decay, freeze_norm, lr)

    def forward(self, x):
        if self.dcn_v2:
            offset, mask = paddle.split(self.conv_offset(x),
                                        [self.offset_channel, self.mask_channel], axis=1)
            out = self.conv(x, offset, mask=F.sigmoid(mask))
            return norm_activation(self.norm, out, self.act)
        return conv_norm_activation(self.conv, self.norm, x, self.act)


class SELayer(nn.Layer):
    """Squeeze-and-excitation gate (`squeeze`, `extract` linears), used with `std_senet`."""

    def __init__(self, ch: int, reduction_ratio: int = 16):
        super().__init__()
        mid = ch // reduction_ratio
        s1, s2 = 1. / math.sqrt(ch), 1. / math.sqrt(mid)
        self.pool = nn.AdaptiveAvgPool2D(1)
        self.squeeze = nn.Linear(ch, mid, weight_attr=ParamAttr(initializer=Uniform(-s1, s1)))
        self.extract = nn.Linear(mid, ch, weight_attr=ParamAttr(initializer=Uniform(-s2, s2)))

    def forward(self, x):
        w = paddle.squeeze(self.pool(x), axis=[2, 3])
        w = F.sigmoid(self.extract(F.relu(self.squeeze(w))))
        return x * paddle.unsqueeze(w, axis=[2, 3])


def _shortcut(ch_in: int, ch_out: int, stride: int, variant: str, **kw) -> nn.Layer:
    """Projection shortcut; variant d downsamples by average pooling before a 1x1 conv."""
    if variant == 'd' and stride == 2:
        short = nn.Sequential()
        short.add_sublayer('pool', nn.AvgPool2D(kernel_size=2, stride=2, padding=0,
                                                ceil_mode=True))
        short.add_sublayer('conv', ConvNormLayer(ch_in, ch_out, 1, 1, **kw))
        return short
    return ConvNormLayer(ch_in, ch_out, 1, stride, **kw)


class BasicBlock(nn.Layer):
    """Two 3x3 convs (ResNet-18/34)."""
    expansion = 1

    def __init__(self, ch_in: int, ch_out: int, stride: int, shortcut: bool, variant: str = 'b',
                 groups: int = 1, base_width: int = 64, lr: float = 1.0, norm_type: str = 'bn',
                 norm_decay: float = 0., freeze_norm: bool = True, dcn_v2: bool = False,
                 std_senet: bool = False):
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ConfigError('ResNet BasicBlock supports only groups=1 and base_width=64')
        kw = dict(norm_type=norm_type, norm_decay=norm_decay, freeze_norm=freeze_norm, lr=lr)
        self.shortcut = shortcut
        if not shortcut:
            self.short = _shortcut(ch_in, ch_out, stride, variant, **kw)
        self.branch2a = ConvNormLayer(ch_in, ch_out, 3, stride, act='relu', **kw)
        self.branch2b = ConvNormLayer(ch_out, ch_out, 3, 1, act=None, dcn_v2=dcn_v2, **kw)
        self.std_senet = std_senet
        if std_senet:
            self.se = SELayer(ch_out)

    def forward(self, x):
        out = self.branch2b(self.branch2a(x))
        if self.std_senet:
            out = self.se(out)
        short = x if self.shortcut else self.short(x)
        return F.relu(paddle.add(out, short))


class BottleNeck(nn.Layer):
    """1x1 -> 3x3 -> 1x1 (x4 channels); variant a strides in the first 1x1, others in the 3x3."""
    expansion = 4

    def __init__(self, ch_in: int, ch_out: int, stride: int, shortcut: bool, variant: str = 'b',
                 groups: int = 1, base_width: int = 4, lr: float = 1.0, norm_type: str = 'bn',
                 norm_decay: float = 0., freeze_norm: bool = True, dcn_v2: bool = False,
                 std_senet: bool = False):
        super().__init__()
        stride1, stride2 = (stride, 1) if variant == 'a' else (1, stride)
        width = int(ch_out * (base_width / 64.)) * groups
        kw = dict(norm_type=norm_type, norm_decay=norm_decay, freeze_norm=freeze_norm, lr=lr)
        self.shortcut = shortcut
        if not shortcut:
            self.short = _shortcut(ch_in, ch_out * self.expansion, stride, variant, **kw)
        self.branch2a = ConvNormLayer(ch_in, width, 1, stride1, act='relu', **kw)
        self.branch2b = ConvNormLayer(width, width, 3, stride2, groups=groups, act='relu',
                                      dcn_v2=dcn_v2, **kw)
        self.branch2c = ConvNormLayer(width, ch_out * self.expansion, 1, 1, **kw)
        self.std_senet = std_senet
        if std_senet:
            self.se = SELayer(ch_out * self.expansion)

    def forward(self, x):
        out = self.branch2c(self.branch2b(self.branch2a(x)))
        if self.std_senet:
            out = self.se(out)
        short = x if self.shortcut else self.short(x)
        return F.relu(paddle.add(out, short))


def block_name(stage_num: int, count: int, i: int) -> str:
    """`res4a`, `res4b1`.. for stages with more than 10 blocks in res4; else `res{n}a, b, c`."""
    base = f'res{stage_num}'
    if count > 10 and stage_num == 4:
        return base + ('a' if i == 0 else f'b{i}')
    return base + chr(ord('a') + i)


class Blocks(nn.Layer):
    """One stage: the first block strides (except res2) and projects the shortcut."""

    def __init__(self, block: type, ch_in: int, ch_out: int, count: int, stage_num: int,
                 **block_kw):
        super().__init__()
        self.blocks = []
        for i in range(count):
            layer = self.add_sublayer(
                block_name(stage_num, count, i),
                block(ch_in, ch_out, stride=2 if i == 0 and stage_num != 2 else 1,
                      shortcut=i != 0, **block_kw))
            self.blocks.append(layer)
            if i == 0:
                ch_in = ch_out * block.expansion

    def forward(self, x):
        for block in self.blocks:
            x = block(x)
        return x


@register
class ResNet(nn.Layer):
    """Stages res2..res5 return maps at strides 4, 8, 16, 32 (`return_idx` 0..3).

    `freeze_at` k >= 0 stops gradients of the stem and stages 0..k (stem only with
    `freeze_stem_only`); `freeze_norm` fixes BatchNorm (running statistics, no training);
    `dcn_v2_stages` lists stage indices whose 3x3 convs are modulated deformable convs;
    `lr_mult_list` scales the learning rate of each stage.
    """
    __shared__ = ['norm_type']

    def __init__(self, depth: int = 50, ch_in: int = 64, variant: str = 'b',
                 lr_mult_list: List[float] = [1.0, 1.0, 1.0, 1.0], groups: int = 1,
                 base_width: int = 64, norm_type: str = 'bn', norm_decay: float = 0.,
                 freeze_norm: bool = True, freeze_at: int = 0,
                 return_idx: Union[int, List[int]] = [0, 1, 2, 3],
                 dcn_v2_stages: Union[int, List[int]] = [-1], num_stages: int = 4,
                 std_senet: bool = False, freeze_stem_only: bool = False):
        super().__init__()
        if depth not in RESNET_BLOCKS:
            raise ConfigError(f'ResNet depth {depth} is not supported; use one of '
                              f'{sorted(RESNET_BLOCKS)}')
        if variant not in ('a', 'b', 'c', 'd'):
            raise ConfigError(f"ResNet variant {variant!r} must be one of 'a', 'b', 'c', 'd'")
        if not 1 <= num_stages <= 4:
            raise ConfigError(f'ResNet num_stages must be in 1..4, got {num_stages}')
        return_idx = [return_idx] if isinstance(return_idx, Integral) else list(return_idx)
        dcn_v2_stages = ([dcn_v2_stages] if isinstance(dcn_v2_stages, Integral)
                         else list(dcn_v2_stages))
        if max(return_idx) >= num_stages or max(dcn_v2_stages) >= num_stages:
            raise ConfigError(f'ResNet: return_idx {return_idx} and dcn_v2_stages '
                              f'{dcn_v2_stages} must be below num_stages={num_stages}')
        if len(lr_mult_list) != 4:
            raise ConfigError(f'ResNet lr_mult_list needs 4 values, got {len(lr_mult_list)}')
        self.depth = depth
        self.variant = variant
        self.return_idx = return_idx
        self.num_stages = num_stages
        self.dcn_v2_stages = dcn_v2_stages
        self.freeze_at = freeze_at
        norm_kw = dict(norm_type=norm_type, norm_decay=norm_decay, freeze_norm=freeze_norm)
        if variant in ('c', 'd'):
            stem = [(3, ch_in // 2, 3, 2, 'conv1_1'), (ch_in // 2, ch_in // 2, 3, 1, 'conv1_2'),
                    (ch_in // 2, ch_in, 3, 1, 'conv1_3')]
        else:
            stem = [(3, ch_in, 7, 2, 'conv1')]
        self.conv1 = nn.Sequential()
        for c_in, c_out, k, s, name in stem:
            self.conv1.add_sublayer(name, ConvNormLayer(c_in, c_out, k, s, act='relu', lr=1.0,
                                                        **norm_kw))
        block = BottleNeck if depth >= 50 else BasicBlock
        ch_out_list = [64, 128, 256, 512]
        self._out_channels = [block.expansion * c for c in ch_out_list]
        self._out_strides = [4, 8, 16, 32]
        counts = RESNET_BLOCKS[depth]
        self.res_layers = []
        cin = ch_in
        for i in range(num_stages):
            stage = Blocks(block, cin, ch_out_list[i], counts[i], i + 2, variant=variant,
                           groups=groups, base_width=base_width, lr=lr_mult_list[i],
                           dcn_v2=i in dcn_v2_stages, std_senet=std_senet, **norm_kw)
            self.res_layers.append(self.add_sublayer(f'res{i + 2}', stage))
            cin = self._out_channels[i]
        if freeze_at >= 0:
            freeze_layer(self.conv1)
            if not freeze_stem_only:
                for i in range(min(freeze_at + 1, num_stages)):
                    freeze_layer(self.res_layers[i])

    @property
    def out_shape(self) -> List[ShapeSpec]:
        return [ShapeSpec(channels=self._out_channels[i], stride=self._out_strides[i])
                for i in self.return_idx]

    def forward(self, inputs: Dict[str, paddle.Tensor]) -> List[paddle.Tensor]:
        x = F.max_pool2d(self.conv1(inputs['image']), kernel_size=3, stride=2, padding=1)
        outs = []
        for i, stage in enumerate(self.res_layers):
            x = stage(x)
            if i in self.return_idx:
                outs.append(x)
        return outs


@register
class Res5Head(nn.Layer):
    """The res5 stage applied to 14x14 RoI features (Faster R-CNN C4): it strides to 7x7 and
    gives 2048 channels (512 for ResNet-18/34's basic blocks)."""

    def __init__(self, depth: int = 50):
        super().__init__()
        if depth not in RESNET_BLOCKS:
            raise ConfigError(f'Res5Head depth must be one of {sorted(RESNET_BLOCKS)}, '
                              f'got {depth}')
        block, feat_in = (BottleNeck, 1024) if depth >= 50 else (BasicBlock, 256)
        self.res5 = Blocks(block, feat_in, 512, 3, 5, variant='b', base_width=64,
                           freeze_norm=True, norm_type='bn', norm_decay=0.)
        self.feat_out = 512 * block.expansion

    @property
    def out_shape(self) -> List[ShapeSpec]:
        return [ShapeSpec(channels=self.feat_out, stride=16)]

    def forward(self, roi_feat):
        return self.res5(roi_feat)
