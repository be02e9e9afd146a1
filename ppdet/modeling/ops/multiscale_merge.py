"""Merging the detections of one image predicted at several scales (multi-scale test).

Per class, the rows of every scale are pooled and a greedy NMS keeps the best-scoring box of
each overlapping group (IoU >= `nms_threshold`, areas counted with the +1 pixel convention, as
PaddleDetection's merge does); the `keep_top_k` best rows of all classes remain.
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np

__all__ = ['greedy_nms', 'merge_scales']


def greedy_nms(dets: np.ndarray, thresh: float) -> np.ndarray:
    """`dets` [N, 5] rows (score, x1, y1, x2, y2) -> the rows kept, best first."""
    if len(dets) == 0:
        return dets[:0]
    x1, y1, x2, y2 = (dets[:, i].astype('float64') for i in range(1, 5))
    areas = (x2 - x1 + 1) * (y2 - y1 + 1)
    order = np.argsort(-dets[:, 0], kind='stable')
    keep: List[int] = []
    alive = np.ones(len(dets), bool)
    for rank, i in enumerate(order):
        if not alive[i]:
            continue
        keep.append(i)
        rest = order[rank + 1:]
        rest = rest[alive[rest]]
        w = np.maximum(0., np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]) + 1)
        h = np.maximum(0., np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]) + 1)
        inter = w * h
        overlap = inter / (areas[i] + areas[rest] - inter)
        alive[rest[overlap >= thresh]] = False
    return dets[keep]


def merge_scales(per_scale: Sequence[np.ndarray], num_classes: int, nms_threshold: float,
                 keep_top_k: int) -> np.ndarray:
    """One image's [N_s, 6] rows (class, score, x1, y1, x2, y2) per scale -> merged rows,
    highest score first. Rows of class -1 (empty boxes) are dropped."""
    rows = np.concatenate([np.asarray(r, 'float32').reshape(-1, 6) for r in per_scale])
    merged = []
    for c in range(num_classes):
        kept = greedy_nms(rows[rows[:, 0] == c, 1:], nms_threshold)
        if len(kept):
            merged.append(np.concatenate([np.full((len(kept), 1), c, 'float32'), kept], 1))
    if not merged:
        return np.zeros((0, 6), 'float32')
    out = np.concatenate(merged)
    out = out[np.argsort(-out[:, 1], kind='stable')]
    return out[:keep_top_k] if keep_top_k > 0 else out
