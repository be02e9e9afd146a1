"""COCO bbox evaluation: our path against pycocotools' own numbers on the same data."""
import contextlib
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from ppdet.metrics import COCOMetric, render_ap_table

CAT_IDS = {0: 3, 1: 7}      # model class index -> dataset category id (not contiguous)


def _gt():
    images = [{'id': i, 'file_name': f'{i}.jpg', 'width': 200, 'height': 160} for i in (11, 12, 13)]
    boxes = [(11, 3, [10, 10, 40, 30]), (11, 7, [100, 50, 80, 90]), (12, 3, [5, 5, 20, 20]),
             (12, 3, [60, 60, 100, 80]), (13, 7, [30, 40, 25, 25]), (13, 3, [150, 10, 40, 40])]
    anns = [{'id': k + 1, 'image_id': im, 'category_id': c, 'bbox': b, 'area': b[2] * b[3],
             'iscrowd': 0} for k, (im, c, b) in enumerate(boxes)]
    return {'images': images, 'annotations': anns,
            'categories': [{'id': 3, 'name': 'cat'}, {'id': 7, 'name': 'dog'}]}


def _dets():
    """Per image rows (class index, score, x1, y1, x2, y2): hits, near misses, false positives."""
    return {
        11: [[0, 0.95, 11, 11, 50, 41], [1, 0.6, 95, 55, 180, 140], [0, 0.3, 120, 120, 160, 150]],
        12: [[0, 0.8, 6, 4, 26, 24], [0, 0.75, 70, 70, 150, 130], [1, 0.5, 5, 5, 25, 25]],
        13: [[1, 0.9, 31, 41, 55, 64], [0, 0.4, 140, 5, 185, 55], [0, 0.2, 0, 0, 10, 10]],
    }


def _reference_stats(gt, dets):
    res = [{'image_id': im, 'category_id': CAT_IDS[int(r[0])], 'score': r[1],
            'bbox': [r[2], r[3], r[4] - r[2], r[5] - r[3]]} for im, rows in dets.items()
           for r in rows]
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(res), 'bbox')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


def _feed(metric, dets, batch=2):
    ims = sorted(dets)
    for s in range(0, len(ims), batch):
        chunk = ims[s:s + batch]
        metric.update({'im_id': np.array([[i] for i in chunk])},
                      {'bbox': np.array([r for i in chunk for r in dets[i]], np.float64),
                       'bbox_num': np.array([len(dets[i]) for i in chunk])})
    metric.accumulate()


def test_matches_pycocotools_reference(tmp_path):
    gt, dets = _gt(), _dets()
    ref = _reference_stats(_gt(), dets)
    assert 0.2 < ref[0] < 0.95          # a non-trivial case
    m = COCOMetric(gt, CAT_IDS)
    _feed(m, dets)
    ours = m.result()['bbox']
    assert len(ours) == 12
    np.testing.assert_array_equal(ours, ref)      # exactly pycocotools' numbers
    # same through an annotation file and the default clsid2catid (ascending category ids)
    path = tmp_path / 'gt.json'
    path.write_text(json.dumps(gt))
    m2 = COCOMetric(str(path))
    assert m2.clsid2catid == CAT_IDS
    _feed(m2, dets, batch=1)
    np.testing.assert_array_equal(m2.result()['bbox'], ref)
    table = m2.per_class_table()
    assert 'cat' in table and 'dog' in table and 'AP50' in table
    names = [r[0] for r in m2.per_class]
    assert names == ['cat', 'dog']
    # per-class AP averages to the overall AP (all classes have ground truth)
    assert np.mean([r[1] for r in m2.per_class]) == pytest.approx(ref[0], abs=1e-6)


def test_empty_detections_and_reset():
    m = COCOMetric(_gt(), CAT_IDS, class_names=['cat', 'dog'])
    m.update({'im_id': np.array([[11]])}, {'bbox': np.zeros((0, 6)), 'bbox_num': np.array([0])})
    m.accumulate()
    stats = m.result()['bbox']
    assert stats[0] == 0.0 and stats[1] == 0.0 and len(stats) == 12
    _feed(m, _dets())
    assert m.result()['bbox'][0] > 0
    m.reset()
    assert m.results == [] and m.result()['bbox'] == [0.0] * 12


def test_padding_rows_skipped():
    m = COCOMetric(_gt(), CAT_IDS)
    m.update({'im_id': np.array([11])},
             {'bbox': np.array([[-1, 0, 0, 0, 0, 0], [0, 0.9, 10, 10, 50, 40]], np.float32),
              'bbox_num': np.array([2])})
    assert len(m.results) == 1 and m.results[0]['bbox'] == [10.0, 10.0, 40.0, 30.0]


def test_render_table():
    text = render_ap_table(['a', 'long_name'], {'AP': [0.5, None], 'AP50': [1.0, float('nan')]})
    lines = text.splitlines()
    assert lines[1].split() == ['a', '50.00', '100.00']
    assert lines[2].split() == ['long_name', 'n/a', 'n/a']
