"""COCO segm AP next to bbox AP, through pycocotools, on synthetic masks."""
import contextlib
import io
import json

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from ppdet.metrics import COCOMetric, decode_rle, encode_rle, fit_masks

CAT_IDS = {0: 4, 1: 9}


def _gt(with_segmentation=True):
    """Two images of different sizes; polygons whose boxes are their extents."""
    images = [{'id': 1, 'file_name': 'a.jpg', 'width': 80, 'height': 60},
              {'id': 2, 'file_name': 'b.jpg', 'width': 70, 'height': 50}]
    polys = [(1, 4, [[10, 10, 40, 10, 40, 40, 25, 30, 10, 40]]),
             (1, 9, [[50, 5, 75, 5, 75, 30, 50, 30]]),
             (2, 4, [[5, 20, 30, 20, 30, 45, 5, 45]]),
             (2, 9, [[40, 5, 65, 5, 52, 35]])]
    anns = []
    for k, (im, cat, seg) in enumerate(polys):
        xs, ys = seg[0][0::2], seg[0][1::2]
        box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        anns.append({'id': k + 1, 'image_id': im, 'category_id': cat, 'bbox': box,
                     'area': float(box[2] * box[3]), 'iscrowd': 0,
                     'segmentation': seg if with_segmentation else []})
    return {'images': images, 'annotations': anns,
            'categories': [{'id': 4, 'name': 'cell'}, {'id': 9, 'name': 'platelet'}]}


def _coco(gt):
    with contextlib.redirect_stdout(io.StringIO()):
        c = COCO()
        c.dataset = gt
        c.createIndex()
    return c


def _predictions(gt, shift=0):
    """Per image: bbox rows (class, score, box) and masks [N, h, w] from the ground truth,
    the masks moved right by `shift` pixels."""
    coco = _coco(json.loads(json.dumps(gt)))
    inv = {v: k for k, v in CAT_IDS.items()}
    out = {}
    for img in gt['images']:
        rows, masks = [], []
        for a in coco.imgToAnns[img['id']]:
            x, y, w, h = a['bbox']
            rows.append([inv[a['category_id']], 0.9, x, y, x + w, y + h])
            m = coco.annToMask(a)
            masks.append(np.roll(m, shift, axis=1) if shift else m)
        out[img['id']] = (np.array(rows, np.float32), np.array(masks, np.int32))
    return out


def _feed_batch(metric, preds, ids):
    """One batch: masks padded to the largest image, as a model's [N, H, W] output is."""
    h = max(preds[i][1].shape[1] for i in ids)
    w = max(preds[i][1].shape[2] for i in ids)
    masks = []
    for i in ids:
        m = preds[i][1]
        pad = np.zeros((len(m), h, w), np.int32)
        pad[:, :m.shape[1], :m.shape[2]] = m
        masks.append(pad)
    metric.update({'im_id': np.array([[i] for i in ids])},
                  {'bbox': np.concatenate([preds[i][0] for i in ids]),
                   'bbox_num': np.array([len(preds[i][0]) for i in ids]),
                   'mask': np.concatenate(masks)})


def test_perfect_masks_give_ap_one_in_a_padded_batch():
    gt = _gt()
    m = COCOMetric(gt, CAT_IDS)
    _feed_batch(m, _predictions(gt), [1, 2])
    m.accumulate()
    res = m.result()
    assert res['bbox'][0] == pytest.approx(1.0) and res['segm'][0] == pytest.approx(1.0)
    assert all(r['segmentation']['size'] in ([60, 80], [50, 70]) for r in m.segm_results)
    table = m.per_class_table()
    assert 'COCO bbox AP per class' in table and 'COCO segm AP per class' in table
    assert 'AP 100.00' in table.split('segm')[1]


def test_shifted_masks_score_lower_exactly_as_pycocotools():
    gt = _gt()
    preds = _predictions(gt, shift=4)
    m = COCOMetric(gt, CAT_IDS)
    _feed_batch(m, preds, [1])
    _feed_batch(m, preds, [2])
    m.accumulate()
    res = m.result()
    assert res['bbox'][0] == pytest.approx(1.0)     # boxes are still perfect
    assert res['segm'][0] < 0.9                      # masks are not
    # reference: the same RLEs evaluated by hand with pycocotools
    ref_res = []
    for im, (rows, masks) in preds.items():
        for row, rle in zip(rows, encode_rle(masks)):
            ref_res.append({'image_id': im, 'category_id': CAT_IDS[int(row[0])],
                            'segmentation': rle, 'score': float(row[1])})
    coco = _coco(json.loads(json.dumps(gt)))
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(coco, coco.loadRes(ref_res), 'segm')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    np.testing.assert_array_equal(res['segm'], ev.stats)


def test_padding_rows_and_their_masks_are_skipped():
    gt = _gt()
    rows, masks = _predictions(gt)[1]
    rows = np.concatenate([[[-1, 0, 0, 0, 0, 0]], rows]).astype(np.float32)
    masks = np.concatenate([np.ones((1,) + masks.shape[1:], np.int32), masks])
    m = COCOMetric(gt, CAT_IDS)
    m.update({'im_id': np.array([1])},
             {'bbox': rows, 'bbox_num': np.array([3]), 'mask': masks})
    assert len(m.segm_results) == 2
    np.testing.assert_array_equal(decode_rle(m.segm_results[0]['segmentation']), masks[1])
    with pytest.raises(ValueError, match='mask rows'):
        m.update({'im_id': np.array([1])},
                 {'bbox': rows, 'bbox_num': np.array([3]), 'mask': masks[:2]})


def test_box_only_ground_truth_leaves_segm_out_and_says_why():
    gt = _gt(with_segmentation=False)
    m = COCOMetric(gt, CAT_IDS)
    _feed_batch(m, _predictions(_gt()), [1, 2])
    m.accumulate()
    assert 'segm' not in m.result() and m.result()['bbox'][0] == pytest.approx(1.0)
    assert 'segm AP not computed: 4 annotations' in m.per_class_table()


def test_detection_models_are_unchanged():
    gt = _gt()
    m = COCOMetric(gt, CAT_IDS)
    rows, _ = _predictions(gt)[1]
    m.update({'im_id': np.array([1])}, {'bbox': rows, 'bbox_num': np.array([2])})
    m.accumulate()
    assert set(m.result()) == {'bbox'} and 'segm' not in m.per_class_table()


def test_rle_round_trip_through_json():
    rng = np.random.default_rng(0)
    masks = (rng.uniform(size=(3, 17, 23)) > 0.6).astype(np.int32)
    rles = json.loads(json.dumps(encode_rle(masks)))
    assert all(isinstance(r['counts'], str) and r['size'] == [17, 23] for r in rles)
    for m, r in zip(masks, rles):
        np.testing.assert_array_equal(decode_rle(r), m)
    probs = np.where(masks > 0, 0.7, 0.2).astype(np.float32)  # float masks: >= 0.5 inside
    assert [r['counts'] for r in encode_rle(probs)] == [r['counts'] for r in rles]
    np.testing.assert_array_equal(fit_masks(masks, 10, 30)[:, :, :23], masks[:, :10])
    assert fit_masks(masks, 10, 30)[:, :, 23:].sum() == 0
    assert encode_rle(np.zeros((0, 5, 5))) == []
