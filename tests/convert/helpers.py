"""Writers of real annotation files and images for the converter tests."""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import List, Optional

import cv2
import numpy as np


def write_image(path: Path, width: int, height: int) -> Path:
    """A real JPEG/PNG (by suffix) of the given size with some texture."""
    path.parent.mkdir(parents=True, exist_ok=True)
    img = np.zeros((height, width, 3), np.uint8)
    img[:, :, 1] = np.arange(width, dtype=np.uint8)[None, :]
    cv2.rectangle(img, (2, 2), (width // 2, height // 2), (255, 0, 0), -1)
    assert cv2.imwrite(str(path), img)
    return path


def shape(label: str, points, shape_type: str = 'polygon', group_id=None, **kw) -> dict:
    d = {'label': label, 'points': [list(map(float, p)) for p in points],
         'group_id': group_id, 'shape_type': shape_type, 'flags': {}}
    d.update(kw)
    return d


def mask_shape(label: str, x0: int, y0: int, mask: np.ndarray) -> dict:
    ok, buf = cv2.imencode('.png', mask.astype(np.uint8) * 255)
    assert ok
    h, w = mask.shape
    return shape(label, [[x0, y0], [x0 + w - 1, y0 + h - 1]], 'mask',
                 mask=base64.b64encode(buf.tobytes()).decode())


def write_labelme(path: Path, shapes: List[dict], image_path: Optional[str],
                  width: Optional[int] = None, height: Optional[int] = None,
                  image_data: Optional[bytes] = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    d = {'version': '5.2.1', 'flags': {}, 'shapes': shapes, 'imagePath': image_path,
         'imageData': base64.b64encode(image_data).decode() if image_data else None}
    if width is not None:
        d['imageWidth'] = width
    if height is not None:
        d['imageHeight'] = height
    path.write_text(json.dumps(d), encoding='utf-8')
    return path


def write_voc(path: Path, filename: str, width, height, objects: List[dict]) -> Path:
    """objects: dicts with name, box (xmin, ymin, xmax, ymax as text-able), difficult, truncated."""
    path.parent.mkdir(parents=True, exist_ok=True)
    parts = ['<annotation>', f'<filename>{filename}</filename>',
             f'<size><width>{width}</width><height>{height}</height><depth>3</depth></size>']
    for o in objects:
        x1, y1, x2, y2 = o['box']
        parts.append(f'<object><name>{o["name"]}</name><pose>Unspecified</pose>'
                     f'<truncated>{o.get("truncated", 0)}</truncated>'
                     f'<difficult>{o.get("difficult", 0)}</difficult><bndbox><xmin>{x1}</xmin>'
                     f'<ymin>{y1}</ymin><xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>')
    parts.append('</annotation>')
    path.write_text('\n'.join(parts), encoding='utf-8')
    return path


def write_cityscapes(path: Path, width: int, height: int, objects: List[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({'imgHeight': height, 'imgWidth': width, 'objects': objects}),
                    encoding='utf-8')
    return path


def kinds(report) -> dict:
    """{(level, kind): count} of a report's issues."""
    out: dict = {}
    for i in report.issues:
        out[(i.level, i.kind)] = out.get((i.level, i.kind), 0) + 1
    return out


def load_coco(path):
    from pycocotools.coco import COCO
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        return COCO(str(path))
