"""Helpers that write tiny real datasets (images with cv2, VOC XML, COCO json) into tmp_path."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import pytest

import ppdet.data  # noqa: F401  (registers classes)
from tests.helpers.material import shipped_path

ROOT = Path(__file__).resolve().parents[2]


def write_image(path: Path, h: int = 48, w: int = 64, box: Optional[Sequence[int]] = None,
                value: Tuple[int, int, int] = (0, 0, 255)) -> np.ndarray:
    """Write a dark BGR image with an optional filled rectangle [x1, y1, x2, y2) (pixel edges)."""
    im = np.full((h, w, 3), 20, np.uint8)
    if box is not None:
        x1, y1, x2, y2 = box
        im[y1:y2, x1:x2] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(path.suffix if path.suffix.lower() in ('.png', '.bmp') else '.png',
                           im)
    assert ok
    path.write_bytes(buf.tobytes())  # PNG content is lossless even when named .jpg
    return im


def voc_xml(path: Path, objects: Iterable[Tuple[str, Sequence[float]]], w: Optional[int] = 64,
            h: Optional[int] = 48, difficult: int = 0) -> None:
    size = '' if w is None else (f'<size><width>{w}</width><height>{h}</height>'
                                 f'<depth>3</depth></size>')
    objs = ''.join(
        f'<object><name>{n}</name><difficult>{difficult}</difficult><bndbox>'
        f'<xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax>'
        f'</bndbox></object>' for n, b in objects)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<annotation><filename>{path.stem}.jpg</filename>{size}{objs}'
                    f'</annotation>')


def make_voc(root: Path, items: Dict[str, Dict], labels: Optional[List[str]] = ('cat', 'dog'),
             list_name: str = 'train.txt') -> Path:
    """items: stem -> {'objects': [(name, box)], 'w':, 'h':, 'image': bool, 'box': drawn}"""
    lines = []
    for stem, spec in items.items():
        if spec.get('image', True):
            write_image(root / 'JPEGImages' / f'{stem}.jpg', spec.get('ih', 48),
                        spec.get('iw', 64), spec.get('box'))
        voc_xml(root / 'Annotations' / f'{stem}.xml', spec.get('objects', []),
                spec.get('w', 64), spec.get('h', 48))
        lines.append(f'JPEGImages/{stem}.jpg Annotations/{stem}.xml')
    (root / list_name).write_text('\n'.join(lines) + '\n')
    if labels is not None:
        (root / 'label_list.txt').write_text('\n'.join(labels) + '\n')
    return root


def make_coco(root: Path, categories: List[Dict], images: List[Dict], annotations: List[Dict],
              name: str = 'ann.json') -> Path:
    for img in images:
        write_image(root / 'images' / img['file_name'], img.get('height') or 48,
                    img.get('width') or 64)
    (root / name).write_text(json.dumps({'categories': categories, 'images': images,
                                         'annotations': annotations}))
    return root


@pytest.fixture
def need_bccd():
    return shipped_path('dataset', 'bccd', 'train.txt').parent


@pytest.fixture(autouse=True)
def _one_thread():
    cv2.setNumThreads(1)
    os.environ.setdefault('OMP_NUM_THREADS', '1')
