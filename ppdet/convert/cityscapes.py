"""Cityscapes gtFine `*_polygons.json` -> instances: one file per call, in a worker process.

Classes with instances in Cityscapes (person, rider, car, truck, bus, caravan, trailer, train,
motorcycle, bicycle) become categories; `<class>group` labels (persongroup, cargroup, ...) mark
a crowd of that class and become iscrowd=1 annotations of the base class. Stuff classes (road,
sky, building, ...) are not objects: skipped and counted as info. A label that is neither is
kept as its own category and reported. Polygon vertices outside the image are clamped.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from ppdet.convert import geometry as G
from ppdet.convert.images import first_existing, image_size
from ppdet.convert.records import FileResult, ImageInfo, Instance
from ppdet.convert.task import Task, place_output_image, read_json_list_file

INSTANCE_CLASSES = ('person', 'rider', 'car', 'truck', 'bus', 'caravan', 'trailer', 'train',
                    'motorcycle', 'bicycle')
STUFF_CLASSES = frozenset((
    'unlabeled', 'ego vehicle', 'rectification border', 'out of roi', 'static', 'dynamic',
    'ground', 'road', 'sidewalk', 'parking', 'rail track', 'building', 'wall', 'fence',
    'guard rail', 'bridge', 'tunnel', 'pole', 'polegroup', 'traffic light', 'traffic sign',
    'vegetation', 'terrain', 'sky', 'license plate'))
POLYGON_SUFFIX = '_polygons.json'


def image_prefix(json_name: str) -> str:
    """'aachen_000000_000019_gtFine_polygons.json' -> 'aachen_000000_000019'."""
    stem = json_name[:-len(POLYGON_SUFFIX)] if json_name.endswith(POLYGON_SUFFIX) else \
        Path(json_name).stem
    head, sep, tail = stem.rpartition('_')
    return head if sep and tail.lower().startswith('gt') else stem


def _find_image(task: Task) -> Optional[Path]:
    src = Path(task.source)
    prefix = image_prefix(src.name)
    root = Path(task.image_dir) if task.image_dir else src.parent
    rel_dir = src.parent.relative_to(task.source_root) if task.image_dir else Path('.')
    names = [prefix + s for s in ('_leftImg8bit.png', '_leftImg8bit.jpg', '.png', '.jpg')]
    return first_existing([d / n for d in (root / rel_dir, root) for n in names])


def _crowd_base(label: str) -> Optional[str]:
    if label.endswith('group') and label[:-5] not in ('', 'pole'):
        return label[:-5]
    return None


def parse_cityscapes(task: Task) -> FileResult:
    """Convert one polygons JSON; problems become issues on the result, never exceptions."""
    res = FileResult(task.image_id, task.shown, task.split)
    data = read_json_list_file(task, res, 'objects', 'Cityscapes polygons')
    if data is None:
        return res
    found = _find_image(task)
    w, h = data.get('imgWidth'), data.get('imgHeight')
    if not (isinstance(w, int) and isinstance(h, int) and w > 0 and h > 0):
        got = image_size(found) if found is not None else None
        if got is None:
            res.add('error', 'missing_image', 'imgWidth/imgHeight missing and no readable image')
            return res
        res.add('info', 'size_from_image', f'imgWidth/imgHeight missing; read {got[0]}x{got[1]}')
        w, h = got
    if found is None:
        level = 'error' if task.dest_dir else 'warning'
        res.add(level, 'missing_image', f'image {image_prefix(Path(task.source).name)}_leftImg8bit'
                f'.png not found under {task.image_dir or "the JSON folder"}')
        if task.dest_dir:
            return res
        name = image_prefix(Path(task.source).name) + '_leftImg8bit.png'
    else:
        name = found.name
        if not place_output_image(task, res, found, name):
            return res
    res.image = ImageInfo(name, w, h)
    res.origin = str(found.resolve()) if found is not None else ''
    stuff = sorted(set(lbl for i, obj in enumerate(data['objects'])
                       for lbl in [_add_object(res, i, obj, w, h)] if lbl))
    n_stuff = sum(1 for o in data['objects'] if isinstance(o, dict) and not o.get('deleted')
                  and str(o.get('label') or '').strip() in STUFF_CLASSES)
    if n_stuff:
        res.add('info', 'ignored', f'{n_stuff} stuff polygon(s) skipped, not object classes: '
                + ', '.join(stuff))
    return res


def _add_object(res: FileResult, i: int, obj: object, w: int, h: int) -> Optional[str]:
    """Add one object as an instance or an issue; return its label when it is stuff."""
    if not isinstance(obj, dict):
        res.add('warning', 'refused', f'object {i}: not an object')
        return None
    label = str(obj.get('label') or '').strip()
    where = f'object {i} ("{label}")'
    if obj.get('deleted'):
        res.add('info', 'ignored', f'{where}: marked deleted')
        return None
    if label in STUFF_CLASSES:
        return label  # the bulk of every file: reported once per file by the caller
    base = _crowd_base(label)
    crowd = 1 if base is not None else 0
    cls = base if base is not None else label
    if not cls:
        res.add('warning', 'dropped', f'{where}: empty label')
        return None
    if cls not in INSTANCE_CLASSES:
        res.add('info', 'unknown_class', f'{where}: not a Cityscapes instance class; kept as '
                'its own category')
    try:
        pts: List[G.Point] = [(float(p[0]), float(p[1])) for p in obj.get('polygon') or []]
    except (TypeError, ValueError, IndexError):
        res.add('warning', 'refused', f'{where}: malformed polygon')
        return None
    if len(pts) < 3:
        res.add('warning', 'refused', f'{where}: polygon needs 3 points, has {len(pts)}')
        return None
    flat, box, area, moved = G.clamp_polygon(pts, w, h)
    if box[2] - box[0] <= 0 or box[3] - box[1] <= 0 or area <= 0:
        res.add('warning', 'dropped', f'{where}: no area left inside the {w}x{h} image')
        return None
    if moved:
        res.add('warning', 'clipped', f'{where}: vertices outside the {w}x{h} image clamped')
    res.instances.append(Instance(cls, box, [flat], round(area, 2), crowd))
    return None
