"""Which output channels of a class-dependent layer to copy when the classes change.

The layouts themselves are declared by the architectures (`ppdet.modeling.class_layout`);
this module maps the channels of one class list onto another's.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ppdet.modeling.class_layout import ClassLayout

__all__ = ['class_channel_map']


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
