"""COCODataSet with gt_poly: polygons, RLE and missing segmentations are read; every bad
polygon is repaired or refused and counted in the summary."""
import json

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from ppdet.core.errors import DatasetError
from ppdet.data import COCODataSet, VOCDataSet, render_summary
from ppdet.data.polygon import polygons_extent
from ppdet.data.source import segmentation as S
from ppdet.data.source.boxes import DROP_OUTSIDE
from ppdet.data.source.coco import DROP_CROWD

from .conftest import make_coco, make_voc

FIELDS = ['image', 'gt_bbox', 'gt_class', 'gt_poly', 'is_crowd']
CATS = [{'id': 1, 'name': 'cell'}]


def _ds(root, **kw):
    return COCODataSet(dataset_dir=str(root), image_dir='images', anno_path='ann.json',
                       data_fields=FIELDS, **kw)


def _ann(k, seg, bbox, iscrowd=0, image_id=1):
    return {'id': k, 'image_id': image_id, 'category_id': 1, 'bbox': bbox, 'iscrowd': iscrowd,
            'area': 1.0, 'segmentation': seg}


def _rle_of(mask, compressed=True):
    if compressed:
        rle = mask_utils.encode(np.asfortranarray(mask[:, :, None]))[0]
        return {'size': rle['size'], 'counts': rle['counts'].decode()}
    flat = mask.reshape(-1, order='F')  # COCO's uncompressed form: run lengths, column-major
    runs, cur, n = [], 0, 0
    for v in flat:
        if v != cur:
            runs.append(n)
            cur, n = v, 0
        n += 1
    runs.append(n)
    return {'size': list(mask.shape), 'counts': [int(r) for r in runs]}


def _iou_with(polys, mask):
    h, w = mask.shape
    back = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(
        [p.astype(np.float64).tolist() for p in polys], h, w)))
    return (back & mask).sum() / (back | mask).sum()


def test_polygons_load_aligned_with_boxes_and_records_are_copies(tmp_path):
    imgs = [{'id': 1, 'file_name': 'a.png', 'width': 64, 'height': 48}]
    anns = [_ann(1, [[10, 5, 30, 5, 20, 25]], [10, 5, 20, 20]),
            _ann(2, [[40, 10, 50, 10, 50, 20, 40, 20], [52, 10, 60, 10, 56, 18]],
                 [40, 10, 20, 10])]
    ds = _ds(make_coco(tmp_path, CATS, imgs, anns))
    r = ds[0]
    assert len(r['gt_poly']) == 2 and [len(o) for o in r['gt_poly']] == [1, 2]
    assert r['gt_poly'][0][0].dtype == np.float32
    np.testing.assert_array_equal(r['gt_poly'][0][0], [10, 5, 30, 5, 20, 25])
    for box, parts in zip(r['gt_bbox'], r['gt_poly']):
        np.testing.assert_allclose(polygons_extent(parts), box)
    r['gt_poly'][0][0][:] = -1  # a transform changing its sample must not reach the dataset
    assert ds[0]['gt_poly'][0][0][0] == 10
    s = ds.summary
    assert s.polygons == 3 and s.objects_with_polygons == 2 and not s.polygon_fixes
    assert 'polygons            3' in render_summary(s)
    assert 'gt_poly' not in _ds(tmp_path, load_crowd=False).__class__(
        dataset_dir=str(tmp_path), image_dir='images', anno_path='ann.json')[0]


@pytest.mark.parametrize('compressed', [True, False])
def test_rle_becomes_polygons_with_the_same_pixels(tmp_path, compressed):
    mask = np.zeros((48, 64), np.uint8)
    mask[5:15, 8:20] = 1
    cv2.ellipse(mask, (44, 30), (12, 8), 20, 0, 360, 1, -1)
    imgs = [{'id': 1, 'file_name': 'a.png', 'width': 64, 'height': 48}]
    box = list(mask_utils.toBbox(mask_utils.encode(np.asfortranarray(mask[:, :, None])))[0])
    ds = _ds(make_coco(tmp_path, CATS, imgs, [_ann(1, _rle_of(mask, compressed), box)]))
    parts = ds[0]['gt_poly'][0]
    assert len(parts) == 2  # one polygon per outer contour
    # traced on the 2x upsampled outline and simplified by <= 0.25 px: the rasteriser gives
    # back the same pixels (measured 1.0; a boundary pixel or two of slack)
    assert _iou_with(parts, mask) >= 0.98
    rect = min(parts, key=lambda p: p[0::2].min())
    np.testing.assert_allclose(polygons_extent([rect]), [8, 5, 20, 15], atol=0.25)
    assert ds.summary.polygon_fixes[S.POLY_FROM_RLE] == 1


def test_bad_polygons_are_repaired_or_refused_and_counted(tmp_path):
    imgs = [{'id': 1, 'file_name': 'a.png', 'width': 64, 'height': 48}]
    anns = [
        _ann(1, [[10, 10, 20, 10, 20, 20, 10, 20], [1, 1, 2, 2]], [10, 10, 10, 10]),  # short part
        _ann(2, [[5, 5, 10, 5, 15, 5]], [5, 5, 10, 1]),                 # zero area: dropped
        _ann(3, [[50, 30, 80, 30, 80, 60, 50, 60]], [50, 30, 30, 30]),  # reaches out: clipped
        _ann(4, [[100, 100, 120, 100, 120, 120]], [100, 100, 20, 20]),  # outside: dropped
        _ann(5, [], [30, 30, 6, 4]),                                    # none: the box
        _ann(6, [30, 5, 40, 5, 40, 9], [30, 5, 10, 4]),                 # flat list
        _ann(7, 'oops', [1, 1, 5, 5]),                                  # not a segmentation
        _ann(8, {'size': [10, 10], 'counts': 'abc'}, [1, 1, 5, 5]),     # RLE of another size
        _ann(9, [[0, 0, 9, 0, 9, 9]], [0, 0, 9, 9], iscrowd=1),         # crowd
    ]
    ds = _ds(make_coco(tmp_path, CATS, imgs, anns))
    r, s = ds[0], ds.summary
    assert len(r['gt_bbox']) == len(r['gt_poly']) == 4
    clipped = r['gt_poly'][1][0].reshape(-1, 2)  # the same square, from another first vertex
    assert sorted(map(tuple, clipped.tolist())) == [(50, 30), (50, 48), (64, 30), (64, 48)]
    np.testing.assert_array_equal(r['gt_bbox'][1], [50, 30, 64, 48])
    np.testing.assert_array_equal(r['gt_poly'][2][0], [30, 30, 36, 30, 36, 34, 30, 34])
    assert s.polygon_fixes == {S.POLY_PART_DROPPED: 1, S.POLY_CLIPPED: 1, S.POLY_FROM_BOX: 1,
                               S.POLY_FLAT: 1}
    assert s.dropped[S.DROP_NO_POLYGON] == 2 and s.dropped[S.DROP_BAD_SEGMENTATION] == 1
    assert s.dropped[S.DROP_RLE_SIZE] == 1 and s.dropped[DROP_CROWD] == 1
    text = render_summary(s)
    assert 'polygons fixed      4' in text and S.DROP_NO_POLYGON in text and 'a.png' in text
    crowd = _ds(tmp_path, load_crowd=True)[0]
    assert crowd['is_crowd'][:, 0].tolist() == [0, 0, 0, 0, 1]
    assert len(crowd['gt_poly']) == 5


def test_a_box_dropped_takes_its_polygon_along(tmp_path):
    imgs = [{'id': 1, 'file_name': 'a.png', 'width': 64, 'height': 48}]
    anns = [_ann(1, [], [70, 60, 5, 5]), _ann(2, [[1, 1, 9, 1, 9, 9]], [1, 1, 8, 8])]
    ds = _ds(make_coco(tmp_path, CATS, imgs, anns))
    assert len(ds[0]['gt_poly']) == 1 and ds.summary.dropped[DROP_OUTSIDE] == 1


def test_voc_cannot_give_polygons_and_the_remedy_works(tmp_path):
    root = make_voc(tmp_path / 'voc', {'a': {'objects': [('cat', [5, 6, 30, 40])]}})
    with pytest.raises(DatasetError, match='x2coco.py --dataset_type voc'):
        VOCDataSet(dataset_dir=str(root), anno_path='train.txt', data_fields=FIELDS)
    from ppdet.convert import ConvertOptions, convert
    out = tmp_path / 'coco'
    report = convert(ConvertOptions(dataset_type='voc', voc_anno_dir=str(root / 'Annotations'),
                                    voc_label_list=str(root / 'label_list.txt'),
                                    output_dir=str(out), workers=1))
    assert report.ok
    ann = next((out / 'annotations').glob('*.json'))
    ds = COCODataSet(dataset_dir=str(out), image_dir='train', anno_path=str(ann),
                     data_fields=FIELDS)
    r = ds[0]
    np.testing.assert_allclose(polygons_extent(r['gt_poly'][0]), r['gt_bbox'][0])
    assert not ds.summary.polygon_fixes  # x2coco writes each VOC box as a 4-point polygon
    assert json.loads(ann.read_text())['annotations'][0]['segmentation'] == [
        [4.0, 5.0, 30.0, 5.0, 30.0, 40.0, 4.0, 40.0]]


def test_check_dataset_counts_polygon_repairs_and_strict_fails_on_them(tmp_path):
    from ppdet.core.workspace import create, load_config
    from ppdet.data.dataset_report import check_datasets
    imgs = [{'id': 1, 'file_name': 'a.png', 'width': 64, 'height': 48}]
    make_coco(tmp_path, CATS, imgs, [_ann(1, [[50, 30, 80, 30, 80, 60, 50, 60]],
                                          [50, 30, 30, 30])])
    cfg = tmp_path / 'check.yml'
    cfg.write_text(f'TrainDataset:\n  !COCODataSet\n    dataset_dir: {tmp_path}\n'
                   f'    image_dir: images\n    anno_path: ann.json\n'
                   f'    data_fields: {FIELDS}\n')
    text, ok = check_datasets(load_config(str(cfg)), create)
    assert ok and S.POLY_CLIPPED in text
    assert text.splitlines()[-1] == ('OK: nothing refused; repaired by the loader: 1 box '
                                     'clipped, 1 polygon fixed (--strict fails on these)')
    text, ok = check_datasets(load_config(str(cfg)), create, strict=True)
    assert not ok and text.splitlines()[-1] == ('FAILED: 1 box clipped (--strict); 1 polygon '
                                                'fixed (--strict) (each is listed above)')
