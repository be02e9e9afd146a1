"""DarkNet-53, the YOLOv3 backbone, with PaddleDetection 2.x parameter names.

Names matter because zoo checkpoints load by name: the stem is `conv0`, `downsample0`; stage i
is `stage.i` (first residual block `basicblock0`, the others `stage.i.j`); the stride-2 conv
after stage i is `stage.i.downsample`.
"""
from __future__ import annotations

from typing import Dict, List

import paddle
import paddle.nn as nn

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.layers.conv_norm import ConvBNLayer
from ppdet.modeling.shape_spec import ShapeSpec

__all__ = ['DarkNet']

# residual blocks per stage
DARKNET_STAGES = {53: [1, 2, 8, 8, 4]}


class DownSample(nn.Layer):
    """3x3 stride-2 ConvBNLayer (halves the resolution, changes channels)."""

    def __init__(self, ch_in: int, ch_out: int, norm_type: str, norm_decay: float,
                 freeze_norm: bool, data_format: str):
        super().__init__()
        self.conv_bn_layer = ConvBNLayer(ch_in, ch_out, 3, stride=2, padding=1,
                                         norm_type=norm_type, norm_decay=norm_decay,
                                         freeze_norm=freeze_norm, data_format=data_format)

    def forward(self, x):
        return self.conv_bn_layer(x)


class BasicBlock(nn.Layer):
    """1x1 (ch_in -> ch_out) then 3x3 (ch_out -> 2*ch_out), added to the input."""

    def __init__(self, ch_in: int, ch_out: int, norm_type: str, norm_decay: float,
                 freeze_norm: bool, data_format: str):
        super().__init__()
        kw = dict(norm_type=norm_type, norm_decay=norm_decay, freeze_norm=freeze_norm,
                  data_format=data_format)
        self.conv1 = ConvBNLayer(ch_in, ch_out, 1, padding=0, **kw)
        self.conv2 = ConvBNLayer(ch_out, ch_out * 2, 3, padding=1, **kw)

    def forward(self, x):
        return paddle.add(x, self.conv2(self.conv1(x)))


class Blocks(nn.Layer):
    """`count` BasicBlocks; sub-layer names `basicblock0`, then `<name>.1` ... `<name>.k`."""

    def __init__(self, ch_in: int, ch_out: int, count: int, name: str, norm_type: str,
                 norm_decay: float, freeze_norm: bool, data_format: str):
        super().__init__()
        kw = dict(norm_type=norm_type, norm_decay=norm_decay, freeze_norm=freeze_norm,
                  data_format=data_format)
        self.basicblock0 = BasicBlock(ch_in, ch_out, **kw)
        self.res_out_list = []
        for i in range(1, count):
            block = self.add_sublayer(f'{name}.{i}', BasicBlock(ch_out * 2, ch_out, **kw))
            self.res_out_list.append(block)

    def forward(self, x):
        y = self.basicblock0(x)
        for block in self.res_out_list:
            y = block(y)
        return y


@register
class DarkNet(nn.Layer):
    """DarkNet backbone; returns the outputs of stages in `return_idx` (2,3,4 = strides 8,16,32).

    `freeze_at` stops gradients at the output of that stage (-1: train everything).
    """
    __shared__ = ['norm_type', 'data_format']

    def __init__(self, depth: int = 53, freeze_at: int = -1, return_idx: List[int] = [2, 3, 4],
                 num_stages: int = 5, norm_type: str = 'bn', norm_decay: float = 0.,
                 freeze_norm: bool = False, data_format: str = 'NCHW'):
        super().__init__()
        if depth not in DARKNET_STAGES:
            raise ConfigError(f'DarkNet depth {depth} is not supported; use one of '
                              f'{sorted(DARKNET_STAGES)}')
        if not 1 <= num_stages <= 5 or any(i < 0 or i >= num_stages for i in return_idx):
            raise ConfigError(f'DarkNet: return_idx {list(return_idx)} must lie in '
                              f'[0, num_stages={num_stages})')
        self.depth = depth
        self.freeze_at = freeze_at
        self.return_idx = list(return_idx)
        self.num_stages = num_stages
        kw = dict(norm_type=norm_type, norm_decay=norm_decay, freeze_norm=freeze_norm,
                  data_format=data_format)
        self.conv0 = ConvBNLayer(3, 32, 3, stride=1, padding=1, **kw)
        self.downsample0 = DownSample(32, 64, **kw)
        stages = DARKNET_STAGES[depth][:num_stages]
        ch_in = [64, 128, 256, 512, 1024]
        self._out_channels = []
        self.darknet_conv_block_list = []
        for i, count in enumerate(stages):
            name = f'stage.{i}'
            block = self.add_sublayer(name, Blocks(ch_in[i], ch_in[i] // 2, count, name, **kw))
            self.darknet_conv_block_list.append(block)
            if i in self.return_idx:
                self._out_channels.append(64 * 2 ** i)
        self.downsample_list = []
        for i in range(num_stages - 1):
            down = self.add_sublayer(f'stage.{i}.downsample',
                                     DownSample(32 * 2 ** (i + 1), 32 * 2 ** (i + 2), **kw))
            self.downsample_list.append(down)

    def forward(self, inputs: Dict[str, paddle.Tensor]) -> List[paddle.Tensor]:
        out = self.downsample0(self.conv0(inputs['image']))
        feats = []
        for i, block in enumerate(self.darknet_conv_block_list):
            out = block(out)
            if i == self.freeze_at:
                out.stop_gradient = True
            if i in self.return_idx:
                feats.append(out)
            if i < self.num_stages - 1:
                out = self.downsample_list[i](out)
        return feats

    @property
    def out_shape(self) -> List[ShapeSpec]:
        return [ShapeSpec(channels=c, stride=2 ** (i + 1))
                for c, i in zip(self._out_channels, self.return_idx)]
