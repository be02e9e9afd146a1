"""COCO `segmentation` -> the polygons of one object (`gt_poly`), every repair counted.

What a COCO file may hold, and what is loaded:
- polygons `[[x1, y1, x2, y2, ...], ...]` (what tools/x2coco.py writes): each part is checked;
  a part with an odd or too short coordinate list (fewer than 3 points), non-finite values or
  no area is left out; a part reaching outside the image is clipped to it (polygon clipping,
  so the object keeps its shape up to the border); a part wholly outside is left out;
- RLE `{"size": [h, w], "counts": ...}` (compressed string or uncompressed list): decoded with
  pycocotools and turned into the polygons of its outer contours, so masks reach the model in
  one form. Holes are filled (COCO polygons cannot hold them); the outline is traced on the
  mask upsampled twice, which gives back the same pixels through pycocotools' rasteriser;
- a flat list of numbers (one polygon without the outer list): read as one polygon;
- nothing (missing or `[]`): the box is used as the polygon.

An object with no usable part left is dropped with its box. Polygon repairs are counted in the
summary's `polygon_fixes`, dropped objects in `dropped`, each with example files.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from ppdet.data.polygon import (MIN_AREA, box_polygon, clip_polygon, mask_outline_polygons,
                                 polygon_area)
from ppdet.data.summary import DatasetSummary

__all__ = ['read_segmentation', 'rle_to_polygons', 'POLY_CLIPPED', 'POLY_PART_DROPPED',
           'POLY_FROM_RLE', 'POLY_FROM_BOX', 'POLY_FLAT', 'DROP_NO_POLYGON',
           'DROP_BAD_SEGMENTATION', 'DROP_RLE_SIZE']

POLY_CLIPPED = 'polygon reaches outside the image: clipped to its border'
POLY_PART_DROPPED = ('polygon part left out (fewer than 3 points, non-finite, no area or '
                     'outside the image); the object keeps its other parts')
POLY_FROM_RLE = 'RLE mask turned into polygons (outer contours)'
POLY_FROM_BOX = 'no segmentation: the box is used as the polygon'
POLY_FLAT = 'segmentation is one flat list of numbers: read as one polygon'
DROP_NO_POLYGON = ('no usable polygon (each part has fewer than 3 points, non-finite values, '
                   'no area, or lies outside the image)')
DROP_BAD_SEGMENTATION = 'segmentation is neither a list of polygons nor an RLE dict'
DROP_RLE_SIZE = 'RLE "size" differs from the image size or the RLE cannot be decoded'



def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def rle_to_polygons(rle: dict, height: int, width: int) -> Optional[List[np.ndarray]]:
    """Outer contours of an RLE mask as flat float32 polygons; None when it cannot be decoded
    at this size (wrong `size`, corrupt counts)."""
    from pycocotools import mask as mask_utils
    size = rle.get('size')
    if not (isinstance(size, (list, tuple)) and len(size) == 2
            and [int(size[0]), int(size[1])] == [int(height), int(width)]):
        return None
    try:
        counts = rle['counts']
        if isinstance(counts, list):
            rle = mask_utils.frPyObjects(rle, int(height), int(width))
        elif isinstance(counts, str):
            rle = {'size': list(size), 'counts': counts.encode('ascii')}
        mask = mask_utils.decode(rle)
    except (KeyError, TypeError, ValueError, UnicodeEncodeError):
        return None
    if mask.ndim == 3:
        mask = mask[:, :, 0]
    return mask_outline_polygons(mask)


def _clean_parts(parts: Sequence[Any], w: int, h: int) -> Tuple[List[np.ndarray], List[str]]:
    """The usable polygon parts (clipped into the image), and the repair made to each part
    changed or left out (reasons, counted by the caller only when the object stays)."""
    out: List[np.ndarray] = []
    repairs: List[str] = []
    for part in parts:
        try:
            flat = np.asarray(part, np.float64).reshape(-1)
        except (TypeError, ValueError):
            flat = np.zeros(0)
        if len(flat) < 6 or len(flat) % 2 or not np.isfinite(flat).all() \
                or polygon_area(flat) <= MIN_AREA:
            repairs.append(POLY_PART_DROPPED)
            continue
        pts = flat.reshape(-1, 2)
        if (pts < 0).any() or (pts[:, 0] > w).any() or (pts[:, 1] > h).any():
            flat = clip_polygon(flat, 0.0, 0.0, float(w), float(h))
            if len(flat) < 6 or polygon_area(flat) <= MIN_AREA:
                repairs.append(POLY_PART_DROPPED)
                continue
            repairs.append(POLY_CLIPPED)
        out.append(np.asarray(flat, np.float32))
    return out, repairs


def read_segmentation(seg: Any, box: Sequence[float], w: int, h: int, path: str,
                      summary: DatasetSummary) -> Optional[List[np.ndarray]]:
    """The polygons of one annotation, or None when the object must be dropped (counted).

    `box` (x1, y1, x2, y2) stands in for a missing segmentation, cut to the image; when the
    box itself is unusable the result is [] and the box check drops the object.
    """
    if seg is None or (isinstance(seg, (list, dict)) and not seg):
        cut = np.clip(np.asarray(box, np.float64), 0, [w, h, w, h])
        if not np.isfinite(cut).all() or cut[2] <= cut[0] or cut[3] <= cut[1]:
            return []  # the box itself is unusable: clean_boxes drops and counts it
        summary.fix_polygon(POLY_FROM_BOX, path)
        return [box_polygon(cut)]
    if isinstance(seg, dict):
        polys = rle_to_polygons(seg, h, w)
        if polys is None:
            summary.drop(DROP_RLE_SIZE, path)
            return None
        summary.fix_polygon(POLY_FROM_RLE, path)
        parts: Sequence[Any] = polys
    elif isinstance(seg, list) and all(_is_number(v) for v in seg):
        summary.fix_polygon(POLY_FLAT, path)
        parts = [seg]
    elif isinstance(seg, list) and all(isinstance(p, (list, tuple)) for p in seg):
        parts = seg
    else:
        summary.drop(DROP_BAD_SEGMENTATION, path)
        return None
    cleaned, repairs = _clean_parts(parts, w, h)
    if not cleaned:
        summary.drop(DROP_NO_POLYGON, path)
        return None
    for reason in repairs:
        summary.fix_polygon(reason, path)
    return cleaned
