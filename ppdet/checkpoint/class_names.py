"""Which classes a checkpoint was trained on — stated, stored, or inferred, and always reported.

Class-aware head transfer needs the source's class names. The policy, in order:
1. names given by the caller (`source_class_names`, config `pretrain_class_names`);
2. names stored in the checkpoint's metadata (checkpoints saved by ppdet);
3. for zoo files without metadata: COCO-80 when the head has 80 classes, VOC-20 when it has 20,
   unless the file name or URL names the other dataset (then: unknown);
4. otherwise unknown — class-dependent layers are then excluded, never guessed.
The chosen rule is returned as text so the load report can print it.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence, Tuple

__all__ = ['COCO80_CLASS_NAMES', 'VOC20_CLASS_NAMES', 'resolve_source_class_names']

COCO80_CLASS_NAMES: Tuple[str, ...] = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat',
    'traffic light', 'fire hydrant', 'stop sign', 'parking meter', 'bench', 'bird', 'cat', 'dog',
    'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella',
    'handbag', 'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard', 'tennis racket', 'bottle',
    'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich',
    'orange', 'broccoli', 'carrot', 'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch',
    'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
    'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book',
    'clock', 'vase', 'scissors', 'teddy bear', 'hair drier', 'toothbrush')

VOC20_CLASS_NAMES: Tuple[str, ...] = (
    'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
    'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa',
    'train', 'tvmonitor')


def resolve_source_class_names(given: Optional[Sequence[str]],
                               stored: Optional[Sequence[str]],
                               inferred_count: Optional[int],
                               source: str) -> Tuple[Optional[Tuple[str, ...]], str]:
    """Return (class names or None, the rule that decided) following the module policy."""
    if given:
        return tuple(given), f'given by pretrain_class_names ({len(given)} classes)'
    if stored:
        return tuple(stored), f'stored in the checkpoint metadata ({len(stored)} classes)'
    name = os.path.basename(source.split('#')[0]).lower()
    if inferred_count == 80:
        if 'voc' in name:
            return None, ('unknown: 80 class channels but the file name says VOC; '
                          'set pretrain_class_names')
        return COCO80_CLASS_NAMES, ('inferred COCO-80 from 80 class channels'
                                    + (" and 'coco' in the file name" if 'coco' in name else ''))
    if inferred_count == 20:
        if 'coco' in name:
            return None, ('unknown: 20 class channels but the file name says COCO; '
                          'set pretrain_class_names')
        return VOC20_CLASS_NAMES, ('inferred VOC-20 from 20 class channels'
                                   + (" and 'voc' in the file name" if 'voc' in name else ''))
    if inferred_count is None:
        return None, 'unknown: no metadata and no class-dependent layer to count classes from'
    return None, (f'unknown: no metadata and {inferred_count} classes is not a known dataset; '
                  'set pretrain_class_names')
