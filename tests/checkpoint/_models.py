"""Small real paddle models with detector-style names for the checkpoint tests."""
from typing import Dict

import paddle
import paddle.nn as nn

from ppdet.checkpoint import ClassLayout

YOLO_LAYOUT = ClassLayout(prefix=5, per_class=1, background=None)


class ConvBN(nn.Layer):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2D(cin, cout, 3, padding=1, bias_attr=False)
        self.batch_norm = nn.BatchNorm2D(cout)

    def forward(self, x):
        return nn.functional.relu(self.batch_norm(self.conv(x)))


class Backbone(nn.Layer):
    def __init__(self):
        super().__init__()
        self.stem = ConvBN(3, 8)
        self.stage = ConvBN(8, 16)

    def forward(self, x):
        return self.stage(self.stem(x))


class Head(nn.Layer):
    def __init__(self, num_classes: int, anchors: int = 3):
        super().__init__()
        self.num_classes = num_classes
        self.yolo_output = nn.LayerList(
            [nn.Conv2D(16, anchors * (5 + num_classes), 1) for _ in range(2)])

    def forward(self, x):
        return [conv(x) for conv in self.yolo_output]


class TinyYolo(nn.Layer):
    """backbone / neck / yolo_head with YOLO's per-anchor [5 + C] output layout."""
    class_layouts: Dict[str, ClassLayout] = {
        f'yolo_head.yolo_output.{i}': YOLO_LAYOUT for i in range(2)}

    def __init__(self, num_classes: int):
        super().__init__()
        self.backbone = Backbone()
        self.neck = ConvBN(16, 16)
        self.yolo_head = Head(num_classes)

    def forward(self, x):
        return self.yolo_head(self.neck(self.backbone(x)))


def randomize(model: nn.Layer, seed: int) -> None:
    """Give every tensor (BN statistics included) distinct random values."""
    gen = paddle.seed(seed)  # noqa: F841
    for name, t in model.state_dict().items():
        val = paddle.rand(t.shape, dtype=t.dtype) + (0.5 if name.endswith('_variance') else 0)
        t.set_value(val)
