"""COCODataSet: any category ids map to contiguous labels and back; problems are counted."""
import numpy as np
import pytest

from ppdet.core.errors import DatasetError
from ppdet.data import COCODataSet
from ppdet.data.source.coco import DROP_CROWD, FIX_SIZE

from .conftest import make_coco


def _ds(root, **kw):
    return COCODataSet(dataset_dir=str(root), image_dir='images', anno_path='ann.json', **kw)


@pytest.mark.parametrize('ids', [[1, 5, 90], [0, 1, 2], ['b', 'a', 'z']])
def test_category_ids_map_to_contiguous_labels_and_back(tmp_path, ids):
    cats = [{'id': i, 'name': n} for i, n in zip(ids, ['RBC', 'WBC', 'Platelets'])]
    imgs = [{'id': 7, 'file_name': 'x.jpg', 'width': 64, 'height': 48}]
    anns = [{'id': k, 'image_id': 7, 'category_id': ids[c], 'bbox': [1, 2, 10, 20],
             'iscrowd': 0, 'area': 200} for k, c in enumerate([2, 0, 1])]
    ds = _ds(make_coco(tmp_path, cats, imgs, anns))
    assert ds.class_names == ['RBC', 'WBC', 'Platelets']
    assert ds.catid2clsid == {ids[0]: 0, ids[1]: 1, ids[2]: 2}
    assert ds.clsid2catid == {0: ids[0], 1: ids[1], 2: ids[2]}
    r = ds[0]
    assert r['im_id'] == 7 and r['gt_class'][:, 0].tolist() == [2, 0, 1]
    np.testing.assert_array_equal(r['gt_bbox'][0], [1, 2, 11, 22])  # xywh -> xyxy


def test_crowd_missing_size_and_unknown_image(tmp_path):
    cats = [{'id': 3, 'name': 'cell'}]
    imgs = [{'id': 1, 'file_name': 'a.png'}, {'id': 2, 'file_name': 'gone.jpg', 'width': 9,
                                              'height': 9}]
    anns = [{'image_id': 1, 'category_id': 3, 'bbox': [0, 0, 5, 5], 'iscrowd': 1},
            {'image_id': 1, 'category_id': 3, 'bbox': [60, 40, 10, 10]},
            {'image_id': 99, 'category_id': 3, 'bbox': [0, 0, 5, 5]}]
    make_coco(tmp_path, cats, imgs[:1], anns)
    import json
    (tmp_path / 'ann.json').write_text(json.dumps({'categories': cats, 'images': imgs,
                                                   'annotations': anns}))
    ds = _ds(tmp_path)
    assert len(ds) == 1 and (ds[0]['w'], ds[0]['h']) == (64, 48)
    np.testing.assert_array_equal(ds[0]['gt_bbox'], [[60, 40, 64, 48]])
    s = ds.summary
    assert s.fixes[FIX_SIZE] == 1 and s.dropped[DROP_CROWD] == 1 and s.num_clipped == 1
    assert any('image_id' in r for r in s.dropped) and s.refused[0][0].endswith('gone.jpg')
    ds = _ds(tmp_path, load_crowd=True)
    assert ds[0]['is_crowd'][:, 0].tolist() == [1, 0]


def test_unknown_category_and_no_categories_are_errors(tmp_path):
    imgs = [{'id': 1, 'file_name': 'a.jpg', 'width': 64, 'height': 48}]
    make_coco(tmp_path, [{'id': 1, 'name': 'x'}], imgs,
              [{'image_id': 1, 'category_id': 4, 'bbox': [0, 0, 5, 5]}])
    with pytest.raises(DatasetError, match='category_id 4 .*a.jpg'):
        _ds(tmp_path).parse_dataset()
    make_coco(tmp_path, [], imgs, [])
    with pytest.raises(DatasetError, match='no "categories"'):
        _ds(tmp_path).parse_dataset()
    (tmp_path / 'ann.json').write_text('{not json')
    with pytest.raises(DatasetError, match='ann.json'):
        _ds(tmp_path).parse_dataset()
