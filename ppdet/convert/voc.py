"""Pascal VOC XML -> instances: one file per call, run inside a worker process.

Coordinates: VOC boxes are 1-based and inclusive (a box from pixel 1 to pixel 10 covers ten
pixels). Like PaddleDetection's x2coco we map them to COCO's 0-based edges as
x = xmin - 1, y = ymin - 1, w = xmax - xmin + 1, h = ymax - ymin + 1, keeping float
coordinates as floats. A box with xmax <= xmin (or ymax <= ymin) is a mis-click: dropped and
counted. `difficult` and `truncated` are kept as extra keys on each annotation (pycocotools
ignores them) and counted in the report; difficult boxes are not turned into crowd regions.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Optional, Tuple

from ppdet.convert import geometry as G
from ppdet.convert.images import (first_existing, image_size, is_image_name, native_path,
                                  same_stem_image)
from ppdet.convert.records import FileResult, ImageInfo, Instance
from ppdet.convert.task import IGNORE_LABELS, Task, place_output_image


def _num(node: Optional[ET.Element], tag: str) -> Optional[float]:
    """Float value of a child element, None when absent or not a number."""
    if node is None:
        return None
    text = node.findtext(tag)
    try:
        return float(text) if text is not None and text.strip() else None
    except ValueError:
        return None


def _flag(obj: ET.Element, tag: str) -> int:
    v = _num(obj, tag)
    return 1 if v is not None and v >= 1 else 0


def parse_voc(task: Task) -> FileResult:
    """Convert one VOC XML; problems become issues on the result, never exceptions."""
    res = FileResult(task.image_id, task.shown, task.split)
    try:
        root = ET.parse(task.source).getroot()
    except (OSError, ET.ParseError) as e:
        res.add('error', 'unreadable', f'cannot read XML: {e}')
        return res
    size = _settle_image(task, root, res)
    if size is None:
        return res
    w, h = size
    objects = root.findall('object')
    if not objects:
        res.add('info', 'empty', 'no <object> elements; image kept without annotations')
    for i, obj in enumerate(objects):
        label = (obj.findtext('name') or '').strip()
        where = f'object {i} ("{label}")'
        if not label:
            res.add('warning', 'dropped', f'{where}: empty <name>')
            continue
        if label in IGNORE_LABELS:
            res.add('info', 'ignored', f'{where}: ignore-region label, not an object')
            continue
        bb = obj.find('bndbox')
        coords = [_num(bb, k) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
        if any(c is None for c in coords):
            res.add('warning', 'dropped', f'{where}: <bndbox> missing or not numeric')
            continue
        xmin, ymin, xmax, ymax = coords
        if xmax <= xmin or ymax <= ymin:
            res.add('warning', 'dropped', f'{where}: degenerate box xmin={xmin:g} ymin={ymin:g} '
                    f'xmax={xmax:g} ymax={ymax:g}')
            continue
        raw = (xmin - 1.0, ymin - 1.0, xmax, ymax)
        box = (min(max(raw[0], 0.0), w), min(max(raw[1], 0.0), h),
               min(max(raw[2], 0.0), w), min(max(raw[3], 0.0), h))
        if box[2] - box[0] <= 0 or box[3] - box[1] <= 0:
            res.add('warning', 'dropped', f'{where}: box lies outside the {w}x{h} image')
            continue
        if box != raw:
            res.add('warning', 'clipped', f'{where}: box ({xmin:g},{ymin:g},{xmax:g},{ymax:g}) '
                    f'clipped to the {w}x{h} image')
        res.instances.append(Instance(
            label=label, box=box, segmentation=[G.flatten(G.box_to_polygon(box))],
            area=round((box[2] - box[0]) * (box[3] - box[1]), 2),
            extra={'difficult': _flag(obj, 'difficult'), 'truncated': _flag(obj, 'truncated')}))
    return res


def _find_image(task: Task, root: ET.Element, res: FileResult) -> Optional[Path]:
    """The image of this XML, looked for by name before giving up, in this order:
    `<filename>` (then `<path>`'s file name) in the image folder (--image_input_dir, else
    JPEGImages beside the annotation folder); `<path>` as written (absolute, or relative to the
    XML); the same names beside the XML (exported datasets keep both in one folder); a
    `<filename>` without extension with any image extension. Failing that, an image named like
    the XML is taken and reported as a guess ('resolved')."""
    src = Path(task.source)
    fname = native_path((root.findtext('filename') or '').strip()).name
    written = (root.findtext('path') or '').strip()
    wpath = native_path(written) if written else None
    image_dir = Path(task.image_dir) if task.image_dir else None
    folders = [d for d in (image_dir, src.parent) if d is not None]
    names = [n for n in (fname, wpath.name if wpath is not None else '') if n]
    candidates = [folders[0] / n for n in names]
    if wpath is not None:
        candidates.append(wpath if wpath.is_absolute() else src.parent / wpath)
    candidates += [d / n for d in folders[1:] for n in names]
    found = first_existing(candidates)
    if found is None and fname and not is_image_name(fname):
        found = next((p for d in folders for p in [same_stem_image(d, fname)] if p), None)
    if found is None:
        found = next((p for d in folders for p in [same_stem_image(d, src.stem)] if p), None)
        if found is not None:
            res.add('warning' if fname else 'info', 'resolved',
                    f'<filename> "{fname}" not found; using {found} (same name as the XML)')
    return found


def _not_found(task: Task, root: ET.Element) -> str:
    """Where the image was looked for, and what to do about it."""
    fname = (root.findtext('filename') or '').strip() or Path(task.source).stem + '.*'
    where = [str(task.image_dir)] if task.image_dir else []
    written = (root.findtext('path') or '').strip()
    where += [f'<path> {written}'] if written else []
    where.append(f'beside the XML ({Path(task.source).parent})')
    return (f'image "{fname}" not found (looked in {", ".join(where)}); give the image folder '
            f'with --image_input_dir')


def _settle_image(task: Task, root: ET.Element, res: FileResult) -> Optional[Tuple[int, int]]:
    """Find the image, settle (width, height), place it; None (with an error) when impossible."""
    found = _find_image(task, root, res)
    sz = root.find('size')
    w, h = _num(sz, 'width'), _num(sz, 'height')
    if not w or not h or w <= 0 or h <= 0:
        if found is None:
            res.add('error', 'missing_image', f'no usable <size> and {_not_found(task, root)}')
            return None
        got = image_size(found)
        if got is None:
            res.add('error', 'unreadable', f'image {found} cannot be read')
            return None
        res.add('info', 'size_from_image', f'<size> missing or 0; read {got[0]}x{got[1]} '
                'from the image')
        w, h = got
    if found is None:
        res.add('error' if task.dest_dir else 'warning', 'missing_image',
                _not_found(task, root) + ('' if task.dest_dir else
                                          '; the COCO file names it all the same'))
        if task.dest_dir:
            return None
    fname = native_path((root.findtext('filename') or '').strip()).name
    name = found.name if found is not None else (fname or Path(task.source).stem + '.jpg')
    if found is not None and not place_output_image(task, res, found, name):
        return None
    res.image = ImageInfo(name, int(w), int(h))
    res.origin = str(found.resolve()) if found is not None else ''
    return int(w), int(h)
