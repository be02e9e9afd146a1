"""How labelme/ was made: polygons around the WBC and Platelets of ten BCCD images.

Run from the project root: `python dataset/bccd_seg/make_labelme.py`. For every WBC and
Platelets box of the BCCD annotation the cell is segmented from the image itself: GrabCut,
started with the box as "probably cell", the stained pixels in it (blue minus green > 45, the
violet of the stain) as "surely cell" and a 10 px margin around it as background; the result is
cut to an ellipse 1.1 times the box (so a touching neighbour cannot leak in), opened with a
5x5 kernel, and its largest region outlined and simplified to 1 px. OpenCV's random generator
is seeded, so a run gives the same polygons on the same OpenCV version. RBC boxes are not used:
BCCD leaves many red cells unboxed, which would teach a model that they are background.
"""
from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET

import cv2
import numpy as np

IMAGES = ['00012', '00042', '00117', '00139', '00183', '00214', '00233', '00310', '00322',
          '00325']
CLASSES = ('WBC', 'Platelets')
SRC = os.path.join('dataset', 'bccd')
OUT = os.path.join('dataset', 'bccd_seg', 'labelme')
STAIN = 45          # blue - green above this: stained (violet) pixels
MARGIN = 10         # px of background around a box given to GrabCut
SIMPLIFY = 1.0      # px: largest distance of a dropped vertex from the outline


def read_boxes(stem: str):
    root = ET.parse(os.path.join(SRC, 'Annotations', stem + '.xml')).getroot()
    for obj in root.findall('object'):
        name = obj.findtext('name')
        if name in CLASSES:
            bb = obj.find('bndbox')
            yield name, [int(float(bb.findtext(k))) for k in ('xmin', 'ymin', 'xmax', 'ymax')]


def cell_outline(im: np.ndarray, box) -> np.ndarray:
    """The cell's outline inside `box` as [n, 2] pixel-edge coordinates."""
    h, w = im.shape[:2]
    x1, y1, x2, y2 = max(box[0], 0), max(box[1], 0), min(box[2], w), min(box[3], h)
    inside = np.zeros((h, w), bool)
    inside[y1:y2, x1:x2] = True
    stain = (im[:, :, 0].astype(np.int16) - im[:, :, 1]) > STAIN
    labels = np.full((h, w), cv2.GC_BGD, np.uint8)
    labels[inside] = cv2.GC_PR_FGD
    labels[inside & stain] = cv2.GC_FGD
    ys = slice(max(y1 - MARGIN, 0), min(y2 + MARGIN, h))
    xs = slice(max(x1 - MARGIN, 0), min(x2 + MARGIN, w))
    sub = labels[ys, xs].copy()
    cv2.grabCut(np.ascontiguousarray(im[ys, xs]), sub, None, np.zeros((1, 65)),
                np.zeros((1, 65)), 5, cv2.GC_INIT_WITH_MASK)
    cell = np.zeros((h, w), np.uint8)
    cell[ys, xs] = (sub == cv2.GC_FGD) | (sub == cv2.GC_PR_FGD)
    ellipse = np.zeros((h, w), np.uint8)
    cv2.ellipse(ellipse, (((x1 + x2) / 2, (y1 + y2) / 2), ((x2 - x1) * 1.1, (y2 - y1) * 1.1),
                          0), 1, -1)
    cell &= ellipse & inside
    cell = cv2.morphologyEx(cell, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(cell, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    outline = cv2.approxPolyDP(max(contours, key=cv2.contourArea), SIMPLIFY, True)
    return outline.reshape(-1, 2).astype(np.float64) + 0.5  # pixel centres


def main() -> None:
    cv2.setRNGSeed(0)
    os.makedirs(OUT, exist_ok=True)
    for num in IMAGES:
        stem = 'BloodImage_' + num
        src_image = os.path.join(SRC, 'JPEGImages', stem + '.jpg')
        im = cv2.imread(src_image)
        shapes = [{'label': name, 'points': [[round(x, 1), round(y, 1)]
                                             for x, y in cell_outline(im, box)],
                   'group_id': None, 'description': '', 'shape_type': 'polygon', 'flags': {}}
                  for name, box in read_boxes(stem)]
        doc = {'version': '5.2.1', 'flags': {}, 'shapes': shapes, 'imagePath': stem + '.jpg',
               'imageData': None, 'imageHeight': int(im.shape[0]),
               'imageWidth': int(im.shape[1])}
        with open(os.path.join(OUT, stem + '.json'), 'w', encoding='utf-8') as f:
            json.dump(doc, f, indent=1)
        shutil.copyfile(src_image, os.path.join(OUT, stem + '.jpg'))
        print(f'{stem}: {len(shapes)} polygons')


if __name__ == '__main__':
    main()
