"""Class names from label files. Names always come from the data; the 20 Pascal VOC names are
used only when a config asks for them explicitly (`use_default_label: true`)."""
from __future__ import annotations

import json
import os
from typing import List

from ppdet.core.errors import DatasetError

__all__ = ['read_label_list', 'read_class_names', 'VOC_CLASS_NAMES']

VOC_CLASS_NAMES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
                   'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
                   'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')


def read_label_list(path: str) -> List[str]:
    """Read one class name per line (blank lines ignored); duplicates are an error."""
    if not os.path.isfile(path):
        raise DatasetError(f'label list {path} not found: write one class name per line '
                           f'(in the order of the labels 0, 1, ...)')
    try:
        with open(path, encoding='utf-8-sig') as f:
            names = [line.strip() for line in f if line.strip()]
    except (OSError, UnicodeDecodeError) as e:
        raise DatasetError(f'cannot read label list {path}: {e}') from None
    if not names:
        raise DatasetError(f'label list {path} is empty: write one class name per line')
    seen = set()
    dups = [n for n in names if n in seen or seen.add(n)]
    if dups:
        raise DatasetError(f'label list {path} repeats class names: {", ".join(sorted(set(dups)))}'
                           f'; each name must appear once')
    return names


def read_class_names(path: str) -> List[str]:
    """Class names from a label list (.txt) or the categories of a COCO annotation (.json)."""
    if path.lower().endswith('.json'):
        try:
            with open(path, encoding='utf-8') as f:
                cats = json.load(f).get('categories', [])
        except (OSError, ValueError, AttributeError) as e:
            raise DatasetError(f'cannot read categories from {path}: {e}') from None
        names = [str(c.get('name', c.get('id'))) for c in cats if isinstance(c, dict)]
        if not names:
            raise DatasetError(f'{path} has no categories: class names cannot be known')
        return names
    return read_label_list(path)
