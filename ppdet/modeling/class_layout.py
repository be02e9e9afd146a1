"""How a class-dependent layer lays out its output channels: part of a model's description.

An architecture declares, for each class-dependent layer (a parameter-name prefix), how its
output channels are arranged. The channel axis of size N is read as `groups` repeats of
`[prefix fixed channels][per_class * C class channels][background channel?]`, where `groups`
(anchors or priors per location) follows from N and the class count C. Examples:

- YOLOv3 `yolo_head.yolo_output.i` (conv [A*(5+C), ...]): prefix=5, per_class=1, background=None
- SSD `ssd_head.scores{i}` (conv [P*(C+1), ...]):           prefix=0, per_class=1, background='last'
- Faster R-CNN `bbox_head.bbox_score` (linear [in, C+1]):    prefix=0, per_class=1, background='last'
- Faster R-CNN `bbox_head.bbox_delta` (linear [in, 4C]):     prefix=0, per_class=4, background=None
- RetinaNet `head.retina_cls` (conv [A*C, ...]):             prefix=0, per_class=1, background=None

The output-channel axis is 0 for conv weights and biases, and 1 for Paddle `Linear` weights
([in, out]). The weight loader (`ppdet.checkpoint`) reads these declarations to move weights
class by class; the models only declare them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

__all__ = ['ClassLayout', 'channel_axis', 'infer_num_classes']


@dataclass(frozen=True)
class ClassLayout:
    prefix: int = 0
    per_class: int = 1
    background: Optional[str] = None  # None, 'first' or 'last'

    def group_size(self, num_classes: int) -> int:
        return self.prefix + self.per_class * num_classes + (1 if self.background else 0)

    def groups(self, channels: int, num_classes: int) -> Optional[int]:
        """Number of groups for `channels` output channels, or None if they do not fit."""
        size = self.group_size(num_classes)
        if size <= 0 or channels % size:
            return None
        return channels // size


def channel_axis(ndim: int) -> int:
    """Output-channel axis of a class-dependent tensor: 1 for Paddle `Linear` weights
    ([in, out]), 0 for conv weights ([out, in, kh, kw]) and all biases."""
    return 1 if ndim == 2 else 0


def infer_num_classes(layout: ClassLayout, channels: int, groups: int) -> Optional[int]:
    """Class count that makes `channels` split into `groups` groups, or None."""
    if groups <= 0 or channels % groups:
        return None
    rest = channels // groups - layout.prefix - (1 if layout.background else 0)
    if rest <= 0 or rest % layout.per_class:
        return None
    return rest // layout.per_class
