"""A labelme 5 `mask` shape converts to a polygon that covers exactly its pixels (outlines
traced on pixel edges, not through pixel centres)."""
import base64

import cv2
import numpy as np
from pycocotools import mask as mask_utils

from ppdet.data.polygon import mask_outline_polygons


def test_mask_outline_covers_the_mask_pixels():
    mask = np.zeros((20, 30), np.uint8)
    mask[5:12, 8:14] = 1          # a 6 x 7 rectangle
    mask[14:18, 20:27] = 1        # and a second part
    polys = mask_outline_polygons(mask)
    assert len(polys) == 2
    rles = mask_utils.frPyObjects([p.astype(float).tolist() for p in polys], 20, 30)
    drawn = mask_utils.decode(mask_utils.merge(rles))
    assert np.array_equal(drawn, mask)


def test_labelme_mask_shape_converts_with_all_its_pixels(tmp_path):
    from ppdet.convert.labelme import _mask_polygons
    from ppdet.convert.records import FileResult
    patch = np.zeros((7, 6), np.uint8)
    patch[:, :] = 255
    ok, png = cv2.imencode('.png', patch)
    shape = {'shape_type': 'mask', 'points': [[10, 4], [15, 10]],
             'mask': base64.b64encode(png.tobytes()).decode()}
    polys = _mask_polygons(shape, 'a.json', FileResult(0, 'a.json', 'train'))
    flat = [float(v) for x, y in polys[0] for v in (x, y)]
    area = mask_utils.area(mask_utils.frPyObjects([flat], 40, 40))[0]
    assert area == 42
