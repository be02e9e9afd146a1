"""Turning a list of samples into one batch dict of numpy arrays."""
from __future__ import annotations

from typing import Any, Dict, List

import numpy as np

from ppdet.core.errors import ConfigError

__all__ = ['collate', 'VARIABLE_FIELDS', 'LIST_FIELDS']

# per-box fields: their length differs between images unless PadBox made it fixed
VARIABLE_FIELDS = ('gt_bbox', 'gt_class', 'is_crowd', 'difficult', 'gt_score')
# fields that are never stacked: per image, a list (gt_poly: per object, its polygons)
LIST_FIELDS = ('gt_poly',)


def _stackable(values: List[Any]) -> bool:
    if not all(isinstance(v, np.ndarray) for v in values):
        return False
    first = values[0]
    return all(v.shape == first.shape and v.dtype == first.dtype for v in values)


def collate(samples: List[Dict[str, Any]], collate_batch: bool = True) -> Dict[str, Any]:
    """Stack what stacks (same shape arrays; numbers), keep the rest as lists.

    With collate_batch false the per-box fields always stay lists, even when they could stack
    (PaddleDetection's behaviour for models that take one array per image).
    """
    keys = list(samples[0])
    for s in samples[1:]:
        if set(s) != set(keys):
            diff = sorted(set(s) ^ set(keys))
            raise ConfigError(f'reader: samples of one batch have different fields {diff}; a '
                              f'transform adds them to some samples only')
    batch: Dict[str, Any] = {}
    for k in keys:
        values = [s[k] for s in samples]
        if k in LIST_FIELDS or (not collate_batch and k in VARIABLE_FIELDS):
            batch[k] = values
        elif _stackable(values):
            batch[k] = np.stack(values)
        elif all(isinstance(v, (bool, int, float, np.number)) for v in values):
            batch[k] = np.asarray(values)
        else:
            batch[k] = values
    return batch
