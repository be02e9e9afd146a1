"""YOLOv3 feature pyramid: deepest level first, each level fed the upsampled route above it."""
from __future__ import annotations

from typing import List

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.layers.conv_norm import ConvBNLayer
from ppdet.modeling.shape_spec import ShapeSpec, channels_of

__all__ = ['YOLOv3FPN', 'YoloDetBlock']


class YoloDetBlock(nn.Layer):
    """Five alternating 1x1/3x3 convs (`conv_module.conv0..3`, `route`) and a 3x3 `tip`.

    Returns (route with `channel` maps, tip with 2*`channel` maps); the tip feeds the head,
    the route feeds the next (shallower) level.
    """

    def __init__(self, ch_in: int, channel: int, norm_type: str = 'bn',
                 freeze_norm: bool = False, data_format: str = 'NCHW'):
        super().__init__()
        if channel % 2:
            raise ConfigError(f'YoloDetBlock channel must be even, got {channel}')
        plan = [('conv0', ch_in, channel, 1), ('conv1', channel, channel * 2, 3),
                ('conv2', channel * 2, channel, 1), ('conv3', channel, channel * 2, 3),
                ('route', channel * 2, channel, 1)]
        self.conv_module = nn.Sequential()
        for name, cin, cout, k in plan:
            self.conv_module.add_sublayer(
                name, ConvBNLayer(cin, cout, k, padding=(k - 1) // 2, norm_type=norm_type,
                                  freeze_norm=freeze_norm, data_format=data_format))
        self.tip = ConvBNLayer(channel, channel * 2, 3, padding=1, norm_type=norm_type,
                               freeze_norm=freeze_norm, data_format=data_format)

    def forward(self, x):
        route = self.conv_module(x)
        return route, self.tip(route)


@register
class YOLOv3FPN(nn.Layer):
    """Takes backbone maps shallow to deep (`in_channels` in that order) and returns the three
    tips deepest first: 1024, 512, 256 channels at strides 32, 16, 8."""
    __shared__ = ['norm_type', 'data_format']

    def __init__(self, in_channels: List[int] = [256, 512, 1024], norm_type: str = 'bn',
                 freeze_norm: bool = False, data_format: str = 'NCHW'):
        super().__init__()
        if len(in_channels) < 1:
            raise ConfigError('YOLOv3FPN needs at least one input level (in_channels)')
        self.in_channels = list(in_channels)
        self.num_blocks = len(in_channels)
        self.data_format = data_format
        self._out_channels = []
        self.yolo_blocks = []
        self.routes = []
        for i in range(self.num_blocks):
            ch_in = self.in_channels[-i - 1] + (512 // 2 ** i if i > 0 else 0)
            block = self.add_sublayer(
                f'yolo_block.{i}', YoloDetBlock(ch_in, 512 // 2 ** i, norm_type, freeze_norm,
                                                data_format))
            self.yolo_blocks.append(block)
            self._out_channels.append(1024 // 2 ** i)
            if i < self.num_blocks - 1:
                route = self.add_sublayer(
                    f'yolo_transition.{i}',
                    ConvBNLayer(512 // 2 ** i, 256 // 2 ** i, 1, padding=0, norm_type=norm_type,
                                freeze_norm=freeze_norm, data_format=data_format))
                self.routes.append(route)

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        """In channels come from the maps this is built on."""
        return {} if input_shape is None else {'in_channels': channels_of(input_shape)}

    def forward(self, blocks: List[paddle.Tensor], for_mot: bool = False) -> List[paddle.Tensor]:
        if len(blocks) != self.num_blocks:
            raise ValueError(f'YOLOv3FPN expects {self.num_blocks} maps, got {len(blocks)}')
        axis = 1 if self.data_format == 'NCHW' else -1
        feats = []
        route = None
        for i, block in enumerate(blocks[::-1]):
            if i > 0:
                block = paddle.concat([route, block], axis=axis)
            route, tip = self.yolo_blocks[i](block)
            feats.append(tip)
            if i < self.num_blocks - 1:
                route = F.interpolate(self.routes[i](route), scale_factor=2.,
                                      data_format=self.data_format)
        return feats

    @property
    def out_shape(self) -> List[ShapeSpec]:
        return [ShapeSpec(channels=c) for c in self._out_channels]
