"""VOCDataSet on real files: class names from the data, every repair counted, clear errors."""
import numpy as np
import pytest

from ppdet.core.errors import DatasetError
from ppdet.data import VOCDataSet, render_summary
from ppdet.data.source.boxes import CLIP_OUT, DROP_OUTSIDE, DROP_SIZE
from ppdet.data.source.voc import FIX_SIZE

from .conftest import make_voc


def test_records_and_class_names(tmp_path):
    make_voc(tmp_path, {'a': {'objects': [('dog', [10, 5, 30, 25]), ('cat', [1, 2, 3, 4])]},
                        'b': {'objects': [('cat', [0, 0, 64, 48])]}})
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt', label_list='label_list.txt')
    assert len(ds) == 2
    assert ds.class_names == ['cat', 'dog']
    r = ds[0]
    assert r['gt_bbox'].dtype == np.float32 and r['gt_bbox'].shape == (2, 4)
    np.testing.assert_array_equal(r['gt_bbox'][0], [10, 5, 30, 25])
    assert r['gt_class'].dtype == np.int32 and r['gt_class'][:, 0].tolist() == [1, 0]
    assert r['is_crowd'].shape == (2, 1) and r['difficult'].shape == (2, 1)
    assert (r['h'], r['w'], r['im_id']) == (48, 64, 0)
    r['gt_bbox'][:] = -1  # records handed out are copies
    assert ds[0]['gt_bbox'][0, 0] == 10
    assert ds.summary.boxes_per_class == {'cat': 2, 'dog': 1}
    assert ds.catid2clsid == {0: 0, 1: 1}


def test_label_file_found_without_label_list_arg(tmp_path):
    make_voc(tmp_path, {'a': {'objects': [('dog', [10, 5, 30, 25])]}})
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
    assert ds.class_names == ['cat', 'dog']


def test_missing_label_list_says_how_to_provide_one(tmp_path):
    make_voc(tmp_path, {'a': {'objects': [('dog', [10, 5, 30, 25])]}}, labels=None)
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
    with pytest.raises(DatasetError, match='label_list.txt.*one\\s+per line.*use_default_label'):
        ds.parse_dataset()


def test_use_default_label_selects_voc_names_explicitly(tmp_path):
    make_voc(tmp_path, {'a': {'objects': [('dog', [10, 5, 30, 25])]}}, labels=None)
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt', use_default_label=True,
                    with_background=False)
    assert len(ds.class_names) == 20 and ds[0]['gt_class'][0, 0] == ds.class_names.index('dog')
    text = render_summary(ds.summary)
    assert 'use_default_label' in text and 'with_background' in text


def test_unknown_class_names_listed_with_files(tmp_path):
    make_voc(tmp_path, {'a': {'objects': [('Dog', [10, 5, 30, 25])]},
                        'b': {'objects': [('bird', [1, 1, 9, 9]), ('cat', [1, 1, 9, 9])]}})
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
    with pytest.raises(DatasetError) as e:
        ds.parse_dataset()
    msg = str(e.value)
    assert "'Dog'" in msg and "'bird'" in msg and 'a.xml' in msg and 'b.xml' in msg
    assert 'label_list.txt' in msg


def test_boxes_clipped_and_dropped_are_counted(tmp_path):
    make_voc(tmp_path, {'a': {'objects': [
        ('cat', [-5, 10, 30, 60]),   # outside left and bottom: clipped
        ('cat', [20, 20, 20, 30]),   # zero width: dropped
        ('dog', [30, 30, 10, 40]),   # negative width: dropped
        ('dog', [70, 5, 90, 20]),    # entirely right of the 64-px image: dropped
        ('dog', [0, 0, 64, 48]),     # exactly the image: untouched
    ]}})
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
    r = ds[0]
    np.testing.assert_array_equal(r['gt_bbox'], [[0, 10, 30, 48], [0, 0, 64, 48]])
    s = ds.summary
    assert s.clipped[CLIP_OUT] == 1
    assert s.dropped[DROP_SIZE] == 2 and s.dropped[DROP_OUTSIDE] == 1
    text = render_summary(s)
    assert 'boxes dropped       3' in text and 'a.xml' in text


def test_size_zero_or_missing_read_from_image(tmp_path):
    make_voc(tmp_path, {'zero': {'objects': [('cat', [1, 1, 50, 70])], 'w': 0, 'h': 0,
                                 'iw': 40, 'ih': 80},
                        'none': {'objects': [('cat', [1, 1, 5, 5])], 'w': None}})
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
    assert (ds[0]['w'], ds[0]['h']) == (40, 80)
    np.testing.assert_array_equal(ds[0]['gt_bbox'], [[1, 1, 40, 70]])  # clipped to real width
    assert (ds[1]['w'], ds[1]['h']) == (64, 48)
    assert ds.summary.fixes[FIX_SIZE] == 2


def test_missing_image_and_xml_refused_and_named(tmp_path):
    make_voc(tmp_path, {'ok': {'objects': [('cat', [1, 1, 5, 5])]},
                        'noimg': {'objects': [('cat', [1, 1, 5, 5])], 'image': False}})
    with open(tmp_path / 'train.txt', 'a') as f:
        f.write('JPEGImages/ok.jpg Annotations/missing.xml\n')
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
    assert len(ds) == 1
    refused = dict((p.split('/')[-1], r) for p, r in ds.summary.refused)
    assert refused == {'noimg.jpg': 'image file not found',
                       'missing.xml': 'annotation file not found'}


def test_empty_images_follow_allow_empty(tmp_path):
    make_voc(tmp_path, {'a': {'objects': [('cat', [1, 1, 5, 5])]}, 'e1': {}, 'e2': {}})
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
    assert len(ds) == 1 and ds.summary.empty_images_unused == 2
    assert 'allow_empty' in render_summary(ds.summary)
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt', allow_empty=True)
    assert len(ds) == 3 and ds.summary.empty_images == 2
    assert ds[1]['gt_bbox'].shape == (0, 4)
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt', allow_empty=True,
                    empty_ratio=0.5)
    assert len(ds) == 2 and ds.summary.empty_images == 1


def test_nothing_usable_is_an_error_naming_the_cause(tmp_path):
    make_voc(tmp_path, {'e1': {}})
    with pytest.raises(DatasetError, match='allow_empty: true'):
        VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt').parse_dataset()


def test_bad_list_line_and_bad_xml(tmp_path):
    make_voc(tmp_path, {'a': {'objects': [('cat', [1, 1, 5, 5])]}})
    (tmp_path / 'Annotations' / 'a.xml').write_text('<annotation><object>')
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt', allow_empty=True)
    with pytest.raises(DatasetError, match='no usable images') as e:
        ds.parse_dataset()
    assert 'a.xml: XML cannot be parsed' in str(e.value)
    with pytest.raises(DatasetError):  # a failed parse is not remembered as an empty dataset
        len(ds)
    (tmp_path / 'bad.txt').write_text('a b c\n')
    with pytest.raises(DatasetError, match='bad.txt:1'):
        VOCDataSet(dataset_dir=str(tmp_path), anno_path='bad.txt').parse_dataset()


def test_sample_num_and_data_fields(tmp_path):
    make_voc(tmp_path, {s: {'objects': [('cat', [1, 1, 5, 5])]} for s in 'abc'})
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt', sample_num=2,
                    data_fields=['image', 'gt_bbox', 'gt_class'])
    assert len(ds) == 2 and 'difficult' not in ds[0] and 'gt_bbox' in ds[0]
    with pytest.raises(DatasetError, match='unknown data_fields'):
        VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt', data_fields=['gt_box'])


def test_bccd_split_reports_zero_size_box(need_bccd):
    ds = VOCDataSet(dataset_dir=str(need_bccd), anno_path='trainval.txt',
                    label_list='label_list.txt')
    assert ds.class_names == ['RBC', 'WBC', 'Platelets']
    assert len(ds) == 292 and ds.summary.dropped[DROP_SIZE] == 2
    assert ds.summary.num_clipped == 0 and not ds.summary.refused
