"""Instance polygons (`gt_poly`) and the geometry transforms apply to them.

Format (PaddleDetection's): `gt_poly` is a list with one entry per object, aligned with the rows
of `gt_bbox`; an entry is the list of the object's polygons (several when the object is in
parts); a polygon is a flat float32 array [x1, y1, x2, y2, ...] of at least 3 points, in the
same pixel-edge coordinates as the boxes (a pixel x spans [x, x+1), so `x == width` is the
right border).

Every function returns new arrays and lists: records are shared between epochs, so polygons
are never changed in place.
"""
from __future__ import annotations

from typing import Callable, List, Sequence, Tuple

import numpy as np

__all__ = ['mask_outline_polygons', 'Polygons', 'polygon_area', 'clip_polygon', 'map_polygons', 'scale_polygons',
           'flip_polygons', 'shift_polygons', 'crop_polygons', 'take_polygons',
           'polygons_extent', 'box_polygon', 'MIN_AREA']

Polygons = List[List[np.ndarray]]
MIN_AREA = 1e-6  # a polygon with less area (px^2) is a line or a point: no mask pixel


def polygon_area(flat: np.ndarray) -> float:
    """Area (px^2, absolute) of a flat polygon by the shoelace formula; 0 below 3 points."""
    p = np.asarray(flat, np.float64).reshape(-1, 2)
    if len(p) < 3:
        return 0.0
    x, y = p[:, 0], p[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) / 2.0)


def _clip_half_plane(p: np.ndarray, axis: int, bound: float, keep_above: bool) -> np.ndarray:
    """One Sutherland-Hodgman step: the part of polygon p [n, 2] on one side of a line
    `coordinate[axis] == bound`. For each edge prev -> cur, emits the crossing point when the
    edge crosses the line, then cur when cur is inside; vectorised over the edges."""
    if len(p) == 0:
        return p
    v = p[:, axis]
    inside = v >= bound if keep_above else v <= bound
    prev = np.roll(p, 1, axis=0)
    crosses = inside != np.roll(inside, 1)
    with np.errstate(divide='ignore', invalid='ignore'):  # t is used only where crosses
        t = (bound - prev[:, axis]) / (v - prev[:, axis])
        cross_pt = prev + t[:, None] * (p - prev)
    cross_pt[:, axis] = bound  # exact on the line, whatever the round-off of t
    both = np.stack([cross_pt, p], axis=1)  # [n, 2 candidates, 2 coords]
    return both[np.stack([crosses, inside], axis=1)]


def clip_polygon(flat: np.ndarray, x1: float, y1: float, x2: float, y2: float) -> np.ndarray:
    """The part of a polygon inside the rectangle [x1, x2] x [y1, y2], as a flat float32 array
    (empty when nothing is left). A non-convex polygon cut into pieces stays one polygon
    joined along the rectangle's border by zero-width edges, which cover no pixel."""
    p = np.asarray(flat, np.float64).reshape(-1, 2)
    for axis, bound, above in ((0, x1, True), (0, x2, False), (1, y1, True), (1, y2, False)):
        p = _clip_half_plane(p, axis, bound, above)
    return p.reshape(-1).astype(np.float32)


def map_polygons(polys: Polygons, fn: Callable[[np.ndarray], np.ndarray]) -> Polygons:
    """Apply `fn` ([n, 2] float32 points -> [n, 2]) to every polygon; new arrays."""
    return [[fn(np.asarray(p, np.float32).reshape(-1, 2)).astype(np.float32).reshape(-1)
             for p in obj] for obj in polys]


def scale_polygons(polys: Polygons, sx: float, sy: float, width: float,
                   height: float) -> Polygons:
    """Scale x by sx and y by sy, then clamp into [0, width] x [0, height] as resized boxes are
    (only round-off moves a point: the scaled image is `int(scale * side + 0.5)` wide)."""
    s = np.array([sx, sy], np.float32)
    hi = np.array([width, height], np.float32)
    return map_polygons(polys, lambda p: np.clip(p * s, 0, hi))


def flip_polygons(polys: Polygons, width: float) -> Polygons:
    """Mirror left-right in an image `width` wide: x -> width - x (as boxes)."""
    def flip(p: np.ndarray) -> np.ndarray:
        out = p.copy()
        out[:, 0] = np.float32(width) - p[:, 0]
        return out
    return map_polygons(polys, flip)


def shift_polygons(polys: Polygons, dx: float, dy: float) -> Polygons:
    """Move by (dx, dy): the image was pasted at that offset (Pad, RandomExpand)."""
    d = np.array([dx, dy], np.float32)
    return map_polygons(polys, lambda p: p + d)


def crop_polygons(polys: Polygons, window: Sequence[float]) -> Tuple[Polygons, np.ndarray]:
    """Clip every polygon to `window` (x1, y1, x2, y2) and move it to the window's origin.

    Parts left without area are removed; returns the new polygons and a boolean array telling
    which objects kept at least one part (the others must go, with their boxes).
    """
    x1, y1, x2, y2 = (float(v) for v in window)
    out: Polygons = []
    keep = np.zeros(len(polys), bool)
    origin = np.array([x1, y1], np.float32)
    for i, obj in enumerate(polys):
        parts = []
        for p in obj:
            c = clip_polygon(p, x1, y1, x2, y2)
            if len(c) >= 6 and polygon_area(c) > MIN_AREA:
                parts.append((c.reshape(-1, 2) - origin).reshape(-1))
        keep[i] = bool(parts)
        out.append(parts)
    return out, keep


def take_polygons(polys: Polygons, keep: np.ndarray) -> Polygons:
    """The objects selected by `keep` (index array or boolean mask), as `array[keep]` would."""
    idx = np.arange(len(polys))[np.asarray(keep)]
    return [polys[int(i)] for i in idx]


def polygons_extent(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Smallest box [x1, y1, x2, y2] holding every polygon of one object."""
    pts = np.concatenate([np.asarray(p, np.float32).reshape(-1, 2) for p in parts])
    return np.concatenate([pts.min(axis=0), pts.max(axis=0)])


def box_polygon(box: Sequence[float]) -> np.ndarray:
    """A box as a 4-point polygon, clockwise from the top-left corner."""
    x1, y1, x2, y2 = (float(v) for v in box)
    return np.array([x1, y1, x2, y1, x2, y2, x1, y2], np.float32)


_UPSAMPLE = 2      # outlines traced at twice the resolution: on pixel edges to 1/4 px
_SIMPLIFY_PX = 0.25  # vertices closer than this (original px) to the outline are removed


def mask_outline_polygons(mask: np.ndarray) -> List[np.ndarray]:
    """Outer outlines of a binary mask [H, W] as flat float32 polygons whose fill covers the
    mask's pixels (pixel (x, y) is the square [x, x+1) x [y, y+1)). Tracing pixel centres
    instead would cut half a pixel off every edge (a 6x7 mask would fill 30 of its 42 px)."""
    import cv2
    k = _UPSAMPLE
    up = cv2.resize(np.ascontiguousarray(mask > 0, np.uint8), None, fx=k, fy=k,
                    interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(up, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    polys = []
    for c in contours:
        c = cv2.approxPolyDP(c, _SIMPLIFY_PX * k, True).reshape(-1, 2)
        if len(c) >= 3:  # +0.5: the centre of an upsampled edge pixel, 1/(2k) px inside
            polys.append(((c.astype(np.float32) + 0.5) / k).reshape(-1))
    return polys
