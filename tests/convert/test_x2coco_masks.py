"""What x2coco writes from labelme and Cityscapes trains and evaluates a mask model as it is:
every shape becomes gt_poly aligned with its box, crowd stays crowd, and segm AP of masks made
from the ground truth is 1."""
import json

import numpy as np
import pytest

from ppdet.convert import ConvertOptions, convert
from ppdet.data import COCODataSet
from ppdet.data.polygon import polygon_area, polygons_extent
from ppdet.data.source.coco import DROP_CROWD
from ppdet.metrics import COCOMetric
from tests.convert.helpers import (load_coco, mask_shape, shape, write_cityscapes, write_image,
                                   write_labelme)

FIELDS = ['image', 'gt_bbox', 'gt_class', 'gt_poly', 'is_crowd']


def _read(out, **kw):
    ds = COCODataSet(dataset_dir=str(out), image_dir='train',
                     anno_path='annotations/instance_train.json', data_fields=FIELDS, **kw)
    return ds, {r['im_file'].rsplit('/', 1)[-1]: r for r in ds.records}


def _perfect_masks_ap(out):
    """segm AP of masks rasterised from the ground truth itself, fed as a model would."""
    gt_path = out / 'annotations' / 'instance_train.json'
    coco = load_coco(gt_path)
    metric = COCOMetric(str(gt_path))
    cat2cls = {c: i for i, c in metric.clsid2catid.items()}
    for im_id, img in coco.imgs.items():
        anns = [a for a in coco.imgToAnns[im_id] if not a['iscrowd']]
        rows = [[cat2cls[a['category_id']], 1.0, a['bbox'][0], a['bbox'][1],
                 a['bbox'][0] + a['bbox'][2], a['bbox'][1] + a['bbox'][3]] for a in anns]
        masks = np.array([coco.annToMask(a) for a in anns], np.int32).reshape(
            -1, img['height'], img['width'])
        metric.update({'im_id': np.array([im_id])},
                      {'bbox': np.array(rows, np.float32).reshape(-1, 6),
                       'bbox_num': np.array([len(rows)]), 'mask': masks})
    metric.accumulate()
    return metric.result()


def test_labelme_shapes_become_aligned_polygons(tmp_path):
    d = tmp_path / 'labelme'
    write_image(d / 'a.jpg', 100, 80)
    m = np.zeros((10, 12), bool)
    m[2:8, 3:10] = True
    shapes = [shape('cat', [[10, 10], [30, 40]], 'rectangle'),
              shape('dog', [[40, 10], [60, 10], [50, 30]]),
              shape('cat', [[50, 50], [56, 50]], 'circle'),
              mask_shape('cat', 70, 60, m),
              shape('person', [[0, 50], [10, 50], [10, 60]], group_id=7),
              shape('person', [[20, 50], [30, 50], [30, 70]], group_id=7),
              shape('dog', [[90, 70], [120, 70], [120, 90], [90, 90]])]   # partly outside
    write_labelme(d / 'a.json', shapes, 'a.jpg', 100, 80)
    out = tmp_path / 'out'
    assert convert(ConvertOptions('labelme', json_input_dir=str(d), output_dir=str(out),
                                  workers=1)).count('error') == 0
    ds, recs = _read(out)
    r = recs['a.jpg']
    assert len(r['gt_poly']) == 6 and [len(p) for p in r['gt_poly']].count(2) == 1
    anns = json.loads((out / 'annotations' / 'instance_train.json').read_text())['annotations']
    for box, parts, ann in zip(r['gt_bbox'], r['gt_poly'], anns):
        np.testing.assert_allclose(polygons_extent(parts), box, atol=0.02)
        # x2coco's area is that of the polygons before their vertices were rounded to 0.01 px:
        # each vertex moves <= 0.005*sqrt(2), so the area moves <= that times the perimeter
        perimeter = sum(np.linalg.norm(np.diff(np.vstack([q, q[:1]]), axis=0), axis=1).sum()
                        for q in (p.reshape(-1, 2) for p in parts))
        assert abs(sum(polygon_area(p) for p in parts) - ann['area']) <= \
            0.0071 * perimeter + 0.005
    assert not ds.summary.polygon_fixes and ds.summary.polygons == 7
    res = _perfect_masks_ap(out)
    assert res['segm'][0] == pytest.approx(1.0) and res['bbox'][0] == pytest.approx(1.0)


def test_cityscapes_crowd_stays_crowd(tmp_path):
    gt, left = tmp_path / 'gtFine', tmp_path / 'leftImg8bit'
    objs = [{'label': 'road', 'polygon': [[0, 0], [50, 0], [50, 50]]},
            {'label': 'car', 'polygon': [[10, 10], [40, 10], [40, 30], [10, 30]]},
            {'label': 'person', 'polygon': [[60, 5], [70, 5], [65, 40]]},
            {'label': 'cargroup', 'polygon': [[-10, 35], [30, 35], [30, 60], [-10, 60]]}]
    write_cityscapes(gt / 'x' / 'x_000000_000019_gtFine_polygons.json', 80, 50, objs)
    write_image(left / 'x' / 'x_000000_000019_leftImg8bit.png', 80, 50)
    out = tmp_path / 'out'
    assert convert(ConvertOptions('cityscape', json_input_dir=str(gt),
                                  image_input_dir=str(left), output_dir=str(out),
                                  workers=1)).count('error') == 0
    ds, recs = _read(out)
    (r,) = recs.values()
    assert r['is_crowd'][:, 0].tolist() == [0, 0] and ds.summary.dropped[DROP_CROWD] == 1
    ds, recs = _read(out, load_crowd=True)
    (r,) = recs.values()
    assert r['is_crowd'][:, 0].tolist() == [0, 0, 1]
    crowd_poly = r['gt_poly'][2][0].reshape(-1, 2)  # clamped into the image by x2coco
    assert crowd_poly[:, 0].min() == 0 and crowd_poly[:, 1].max() == 50
    res = _perfect_masks_ap(out)  # the crowd region is ignored by COCOeval, not missed
    assert res['segm'][0] == pytest.approx(1.0)
