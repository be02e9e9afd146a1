"""labelme JSON -> instances: one file per call, run inside a worker process.

Shape handling (every shape is either converted or refused with a counted issue):
- rectangle (2 or more corner points), polygon (3+ points), circle (centre + rim point,
  approximated by a polygon) and mask (labelme 5 bitmap; contours become polygons) are converted;
- point, points, line, linestrip (no area) and unknown shape types are refused;
- shapes sharing a label and a non-null group_id are one instance (multi-part polygon);
- labels such as `__ignore__` / `_background_` are regions, not objects: skipped, counted as info.
"""
from __future__ import annotations

import base64
import binascii
import math
import os
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ppdet.convert import geometry as G
from ppdet.convert.images import (bytes_info, first_existing, image_size, is_image_name,
                                  native_path, same_stem_image)
from ppdet.convert.records import FileResult, ImageInfo, Instance
from ppdet.convert.task import IGNORE_LABELS, Task, place_output_image, read_json_list_file

NO_AREA_SHAPES = ('point', 'points', 'line', 'linestrip')


def parse_labelme(task: Task) -> FileResult:
    """Convert one labelme JSON; problems become issues on the result, never exceptions."""
    res = FileResult(task.image_id, task.shown, task.split)
    data = read_json_list_file(task, res, 'shapes', 'labelme')
    if data is None:
        return res
    if not _place_image(task, data, res):
        return res
    w, h = res.image.width, res.image.height
    parts: Dict[Tuple[str, object], List[Tuple[List[float], G.Box, float]]] = {}
    order: List[Tuple[str, object]] = []
    for i, shape in enumerate(data['shapes']):
        if not isinstance(shape, dict):
            res.add('warning', 'refused', f'shape {i}: not an object')
            continue
        label = str(shape.get('label') or '').strip()
        stype = str(shape.get('shape_type') or 'polygon')
        where = f'shape {i} ({stype} "{label}")'
        if label in IGNORE_LABELS or (label.startswith('__') and label.endswith('__')):
            res.add('info', 'ignored', f'{where}: ignore-region label, not an object')
            continue
        if not label:
            res.add('warning', 'dropped', f'{where}: empty label')
            continue
        polys = _shape_polygons(shape, stype, where, res)
        if polys is None:
            continue
        part = _clamp_part(polys, w, h, where, res)
        if part is None:
            continue
        gid = shape.get('group_id')
        key = (label, gid if gid is not None else ('#', i))
        if key not in parts:
            parts[key] = []
            order.append(key)
        parts[key].extend(part)
    for key in order:
        ps = parts[key]
        res.instances.append(Instance(
            label=key[0], box=G.union_box([p[1] for p in ps]),
            segmentation=[p[0] for p in ps], area=round(sum(p[2] for p in ps), 2)))
        if len(ps) > 1:
            res.add('info', 'merged', f'label "{key[0]}" group_id {key[1]}: {len(ps)} parts '
                    'merged into one instance')
    return res


def _shape_polygons(shape: dict, stype: str, where: str,
                    res: FileResult) -> Optional[List[List[G.Point]]]:
    """The polygons a shape stands for (unclamped), or None after recording a refusal."""
    if stype == 'mask':
        return _mask_polygons(shape, where, res)
    try:
        pts = [(float(p[0]), float(p[1])) for p in shape.get('points') or []]
    except (TypeError, ValueError, IndexError):
        res.add('warning', 'refused', f'{where}: malformed points')
        return None
    if not all(math.isfinite(v) for p in pts for v in p):
        res.add('warning', 'refused', f'{where}: non-finite coordinates')
        return None
    if stype == 'rectangle':
        if len(pts) < 2:
            res.add('warning', 'refused', f'{where}: rectangle needs 2 points, has {len(pts)}')
            return None
        return [G.box_to_polygon(G.bbox_of(pts))]
    if stype == 'polygon':
        if len(pts) < 3:
            res.add('warning', 'refused', f'{where}: polygon needs 3 points, has {len(pts)}')
            return None
        return [pts]
    if stype == 'circle':
        if len(pts) != 2 or pts[0] == pts[1]:
            res.add('warning', 'refused',
                    f'{where}: circle needs a centre and a distinct rim point')
            return None
        r = math.dist(pts[0], pts[1])
        return [G.circle_polygon(pts[0], r)]
    if stype in NO_AREA_SHAPES:
        res.add('warning', 'refused', f'{where}: a {stype} has no area; COCO detection needs one')
        return None
    res.add('warning', 'refused', f'{where}: unknown shape_type "{stype}"')
    return None


def _mask_polygons(shape: dict, where: str, res: FileResult) -> Optional[List[List[G.Point]]]:
    """labelme 5 mask: a base64 PNG covering the box given by the two points -> contours."""
    import cv2  # here, not at the top: workers that never meet a mask start without them
    import numpy as np

    from ppdet.data.polygon import mask_outline_polygons
    try:
        raw = base64.b64decode(shape.get('mask') or '', validate=False)
        mask = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_GRAYSCALE)
        x0, y0 = float(shape['points'][0][0]), float(shape['points'][0][1])
    except (binascii.Error, TypeError, ValueError, KeyError, IndexError, cv2.error):
        mask = None
    if mask is None or not mask.any():
        res.add('warning', 'refused', f'{where}: mask missing, undecodable or empty')
        return None
    polys = [[(float(x) + x0, float(y) + y0) for x, y in flat.reshape(-1, 2)]
             for flat in mask_outline_polygons(mask)]
    if not polys:
        res.add('warning', 'refused', f'{where}: mask has no region of 3+ pixels outline')
        return None
    return polys


def _clamp_part(polys: List[List[G.Point]], w: int, h: int, where: str,
                res: FileResult) -> Optional[List[Tuple[List[float], G.Box, float]]]:
    """Clamp polygons into the image; drop those left without area. Both outcomes are counted.
    Returns (flat segmentation, box, area) per polygon kept."""
    out = []
    moved_any = False
    for poly in polys:
        flat, box, area, moved = G.clamp_polygon(poly, w, h)
        moved_any = moved_any or moved
        if box[2] - box[0] <= 0 or box[3] - box[1] <= 0 or area <= 0:
            continue
        out.append((flat, box, area))
    if not out:
        res.add('warning', 'dropped', f'{where}: no area left inside the {w}x{h} image')
        return None
    if moved_any:
        res.add('warning', 'clipped', f'{where}: coordinates outside the {w}x{h} image clamped')
    return out


def _find_image(task: Task, written: str, res: FileResult) -> Optional[str]:
    """The image file: `<image_dir>/<basename of imagePath>`, imagePath as written (relative to
    the JSON), its basename beside the JSON; else an image named like the JSON (a guess,
    reported). Plain strings: this runs for every file."""
    src_dir, src_name = os.path.split(task.source)
    wpath = written.replace('\\', '/')
    base = os.path.basename(wpath)
    candidates = []
    if base:
        if task.image_dir:
            candidates.append(os.path.join(task.image_dir, base))
        candidates.append(wpath if os.path.isabs(wpath) else os.path.join(src_dir, wpath))
        candidates.append(os.path.join(src_dir, base))
    found = first_existing(candidates)
    if found is not None:
        return found
    stem = os.path.splitext(src_name)[0]
    guess = (same_stem_image(Path(task.image_dir), stem) if task.image_dir else None) or \
        same_stem_image(Path(src_dir), stem)
    if guess is None:
        return None
    res.add('warning', 'resolved', f'imagePath "{written}" not found; using {guess.name} (same '
            f'name as the JSON)')
    return str(guess)


def _place_image(task: Task, data: dict, res: FileResult) -> bool:
    """Find the image (or use embedded imageData), settle its size, place it; False on failure."""
    written = str(data.get('imagePath') or '')
    found = _find_image(task, written, res)
    embedded = None
    if found is None:
        embedded = _embedded(data)
        if embedded is None:
            res.add('error', 'missing_image', f'image "{written}" not found'
                    + (f' in {task.image_dir}' if task.image_dir else '') + ' and no imageData')
            return False
        res.add('info', 'resolved', f'image "{written}" not found; written from embedded imageData')
    if found is not None:
        size = image_size(found)
        if size is None:
            res.add('error', 'unreadable', f'image {os.path.basename(found)} cannot be read')
            return False
        name = os.path.basename(found)
    else:
        size = embedded[1][:2]
        wname = native_path(written).name if written else ''
        name = wname if is_image_name(wname) else Path(task.source).stem + embedded[1][2]
    w_json, h_json = data.get('imageWidth'), data.get('imageHeight')
    if not (isinstance(w_json, int) and isinstance(h_json, int) and w_json > 0 and h_json > 0):
        res.add('info', 'size_from_image', f'imageWidth/imageHeight missing or invalid; '
                f'read {size[0]}x{size[1]} from the image')
    elif (w_json, h_json) != tuple(size):
        res.add('warning', 'size_mismatch', f'JSON says {w_json}x{h_json} but the image is '
                f'{size[0]}x{size[1]}; using the image')
    if not place_output_image(task, res, found, name, embedded[0] if embedded else None):
        return False
    res.image = ImageInfo(name, int(size[0]), int(size[1]))
    res.origin = os.path.abspath(found) if found is not None else 'imageData'
    return True


def _embedded(data: dict) -> Optional[Tuple[bytes, Tuple[int, int, str]]]:
    """Decoded imageData with its (width, height, extension), or None."""
    text = data.get('imageData')
    if not isinstance(text, str) or not text:
        return None
    try:
        raw = base64.b64decode(text)
    except (binascii.Error, ValueError):
        return None
    info = bytes_info(raw)
    return (raw, info) if info is not None else None
