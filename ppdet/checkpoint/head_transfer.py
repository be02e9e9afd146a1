"""Class-aware transfer of class-dependent layers (COCO -> {person, car} keeps what it knows).

The architecture declares each class-dependent layer with a `ClassLayout` (prefix -> layout).
For a target class that also exists in the source, its output channels (for every anchor/prior
group) are copied from the source's channels of the same class; class-independent channels of
a group (YOLO box/objectness, background) are copied too; channels of new classes keep the
model's fresh initialisation.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ppdet.checkpoint.class_channels import class_channel_map
from ppdet.checkpoint.patterns import under_prefix
from ppdet.modeling.class_layout import ClassLayout, channel_axis, infer_num_classes

__all__ = ['class_dependent_names', 'infer_source_num_classes', 'plan_transfer',
           'apply_transfer', 'TransferPlan']


@dataclass(frozen=True)
class TransferPlan:
    """Copy `source[..., src_idx, ...]` into `target[..., dst_idx, ...]` along `axis`."""
    axis: int
    dst_idx: np.ndarray
    src_idx: np.ndarray


def class_dependent_names(names: Sequence[str], layouts: Mapping[str, ClassLayout]
                          ) -> Dict[str, Tuple[str, ClassLayout]]:
    """Model names under a declared class-dependent prefix (dot boundary) -> (prefix, layout)."""
    out: Dict[str, Tuple[str, ClassLayout]] = {}
    if not layouts:
        return out
    for n in names:
        for prefix, layout in layouts.items():
            if under_prefix(n, prefix):  # `ssd_head.scores` also covers `ssd_head.scores0.*`
                out[n] = (prefix, layout)
                break
    return out


def infer_source_num_classes(layout: ClassLayout, model_shape: Sequence[int],
                             ckpt_shape: Sequence[int], target_num_classes: Optional[int]
                             ) -> Optional[int]:
    """Source class count of one layer, using the target's group count (anchors/priors)."""
    if target_num_classes is None or not model_shape or not ckpt_shape:
        return None
    axis = channel_axis(len(model_shape))
    if len(ckpt_shape) != len(model_shape):
        return None
    groups = layout.groups(int(model_shape[axis]), target_num_classes)
    if groups is None:
        return None
    return infer_num_classes(layout, int(ckpt_shape[axis]), groups)


def plan_transfer(layout: ClassLayout, model_shape: Sequence[int], ckpt_shape: Sequence[int],
                  target_num_classes: int, source_num_classes: int,
                  kept: Sequence[Tuple[str, int, int]]) -> Tuple[Optional[TransferPlan], str]:
    """Plan one tensor's copy, or (None, why not)."""
    if len(model_shape) != len(ckpt_shape):
        return None, f'rank differs {list(ckpt_shape)} vs {list(model_shape)}'
    axis = channel_axis(len(model_shape))
    other_m = [d for i, d in enumerate(model_shape) if i != axis]
    other_c = [d for i, d in enumerate(ckpt_shape) if i != axis]
    if other_m != other_c:
        return None, (f'input dimensions differ {list(ckpt_shape)} vs {list(model_shape)}')
    mapping = class_channel_map(layout, int(ckpt_shape[axis]), source_num_classes,
                                int(model_shape[axis]), target_num_classes,
                                [(ti, si) for _, ti, si in kept])
    if mapping is None:
        return None, (f'channel layout does not fit: {ckpt_shape[axis]} channels for '
                      f'{source_num_classes} classes vs {model_shape[axis]} for '
                      f'{target_num_classes}')
    return TransferPlan(axis, mapping[0], mapping[1]), ''


def apply_transfer(current: np.ndarray, source: np.ndarray, plan: TransferPlan) -> np.ndarray:
    """New value: `current` (fresh init) with the planned channels taken from `source`."""
    out = np.array(current, copy=True)
    index_dst: List[object] = [slice(None)] * out.ndim
    index_src: List[object] = [slice(None)] * source.ndim
    index_dst[plan.axis] = plan.dst_idx
    index_src[plan.axis] = plan.src_idx
    out[tuple(index_dst)] = source[tuple(index_src)].astype(out.dtype, copy=False)
    return out
