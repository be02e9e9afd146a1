"""How a class-dependent layer lays out its output channels, so weights can move by class.

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
([in, out]).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np


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


def class_channel_map(layout: ClassLayout, src_channels: int, src_num_classes: int,
                      dst_channels: int, dst_num_classes: int,
                      class_pairs: Sequence[Tuple[int, int]]
                      ) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """Output channels to copy from a source layer to a target layer, as (dst_idx, src_idx).

    `class_pairs` holds (target class index, source class index) for classes both sides know.
    Class-independent channels of each group (YOLO's 5 box/objectness channels, a background
    channel) are copied too, because their meaning does not depend on which classes exist.
    Returns None when the layouts do not line up (different group counts): the caller then
    leaves the layer freshly initialised and reports why.
    """
    src_groups = layout.groups(src_channels, src_num_classes)
    dst_groups = layout.groups(dst_channels, dst_num_classes)
    if src_groups is None or dst_groups is None or src_groups != dst_groups:
        return None
    src_size = layout.group_size(src_num_classes)
    dst_size = layout.group_size(dst_num_classes)
    bg_first = 1 if layout.background == 'first' else 0
    per = layout.per_class
    within_dst: List[int] = list(range(bg_first + layout.prefix))
    within_src: List[int] = list(range(bg_first + layout.prefix))
    class_base = bg_first + layout.prefix
    for dst_c, src_c in class_pairs:
        within_dst.extend(class_base + dst_c * per + k for k in range(per))
        within_src.extend(class_base + src_c * per + k for k in range(per))
    if layout.background == 'last':
        within_dst.append(dst_size - 1)
        within_src.append(src_size - 1)
    dst_off = np.arange(dst_groups)[:, None] * dst_size
    src_off = np.arange(src_groups)[:, None] * src_size
    dst_idx = (dst_off + np.asarray(within_dst, dtype=np.int64)[None, :]).reshape(-1)
    src_idx = (src_off + np.asarray(within_src, dtype=np.int64)[None, :]).reshape(-1)
    return dst_idx, src_idx


def infer_num_classes(layout: ClassLayout, channels: int, groups: int) -> Optional[int]:
    """Class count that makes `channels` split into `groups` groups, or None."""
    if groups <= 0 or channels % groups:
        return None
    rest = channels // groups - layout.prefix - (1 if layout.background else 0)
    if rest <= 0 or rest % layout.per_class:
        return None
    return rest // layout.per_class
