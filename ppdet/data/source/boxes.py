"""Turning annotated boxes into clean record arrays, counting every repair.

One vectorised pass per image: boxes with non-finite or zero/negative size are dropped; boxes
reaching outside the image are clipped to [0, w] x [0, h] (pixel-edge coordinates, so
`xmax == width` is inside, not clipped); boxes entirely outside are dropped. Each case is
counted in the summary with the file it came from.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from ppdet.data.summary import DatasetSummary

__all__ = ['clean_boxes', 'empty_gt', 'DROP_SIZE', 'DROP_OUTSIDE', 'DROP_NONFINITE', 'CLIP_OUT']

DROP_SIZE = 'zero or negative size (xmax <= xmin or ymax <= ymin)'
DROP_OUTSIDE = 'entirely outside the image'
DROP_NONFINITE = 'non-numeric or non-finite coordinates'
CLIP_OUT = 'extends outside the image: clipped to its border'


def empty_gt() -> Dict[str, np.ndarray]:
    return {'gt_bbox': np.zeros((0, 4), np.float32), 'gt_class': np.zeros((0, 1), np.int32),
            'is_crowd': np.zeros((0, 1), np.int32), 'difficult': np.zeros((0, 1), np.int32)}


def clean_boxes(boxes: np.ndarray, classes: np.ndarray, w: int, h: int, path: str,
                summary: DatasetSummary, is_crowd: Optional[np.ndarray] = None,
                difficult: Optional[np.ndarray] = None,
                polys: Optional[List[Any]] = None) -> Dict[str, Any]:
    """Return gt arrays (gt_bbox [N,4] float32 xyxy, gt_class/is_crowd/difficult [N,1] int32).

    `boxes` is [N,4] xyxy float (NaN where a coordinate was missing); `classes` [N] 0-based.
    `polys` (one entry per box, see ppdet.data.polygon) become `gt_poly`, keeping the boxes'
    rows: an object whose box is dropped loses its polygons too.
    """
    n = len(boxes)
    if n == 0:
        return empty_gt() if polys is None else {**empty_gt(), 'gt_poly': []}
    boxes = np.asarray(boxes, np.float64).reshape(n, 4)
    crowd = np.zeros(n, np.int32) if is_crowd is None else np.asarray(is_crowd, np.int32)
    diff = np.zeros(n, np.int32) if difficult is None else np.asarray(difficult, np.int32)
    finite = np.isfinite(boxes).all(axis=1)
    sized = finite & (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    if (~finite).any():
        summary.drop(DROP_NONFINITE, path, int((~finite).sum()))
    if (finite & ~sized).any():
        summary.drop(DROP_SIZE, path, int((finite & ~sized).sum()))
    clipped = boxes.copy()
    clipped[:, 0::2] = np.clip(boxes[:, 0::2], 0, w)
    clipped[:, 1::2] = np.clip(boxes[:, 1::2], 0, h)
    inside = sized & (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
    if (sized & ~inside).any():
        summary.drop(DROP_OUTSIDE, path, int((sized & ~inside).sum()))
    changed = inside & (clipped != boxes).any(axis=1)
    if changed.any():
        summary.clip(CLIP_OUT, path, int(changed.sum()))
    keep = inside
    out: Dict[str, Any] = {'gt_bbox': clipped[keep].astype(np.float32),
                           'gt_class': np.asarray(classes, np.int32)[keep].reshape(-1, 1),
                           'is_crowd': crowd[keep].reshape(-1, 1),
                           'difficult': diff[keep].reshape(-1, 1)}
    if polys is not None:
        out['gt_poly'] = [polys[i] for i in np.flatnonzero(keep)]
    return out
