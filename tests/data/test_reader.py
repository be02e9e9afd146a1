"""Readers: batch format, seeded order, drop_last, rank split, and worker-count independence."""
import sys

import numpy as np
import pytest

from ppdet.core.errors import ConfigError, DatasetError
from ppdet.data import VOCDataSet, check_num_classes
from ppdet.data.reader import EvalReader, TrainReader, batch_indices
from ppdet.data.transform import (BatchRandomResize, BboxXYXY2XYWH, Decode, Gt2YoloTarget,
                                  Mixup, NormalizeBox, NormalizeImage, PadBox, Permute,
                                  RandomCrop, RandomDistort, RandomExpand, RandomFlip, Resize)
from tests.helpers.proc import run as run_child

from .conftest import ROOT, make_voc

ANCHORS = [[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90], [156, 198],
           [373, 326]]


def _dataset(tmp_path, n=7):
    rng = np.random.default_rng(0)
    items = {}
    for i in range(n):
        x, y = int(rng.integers(0, 30)), int(rng.integers(0, 20))
        items[f'im{i}'] = {'objects': [('cat' if i % 2 else 'dog', [x, y, x + 20, y + 15])],
                           'box': [x, y, x + 20, y + 15]}
    make_voc(tmp_path, items)
    return VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')


def _yolo_reader(batch_size=2, mixup_epoch=-1):
    return TrainReader(
        sample_transforms=[Decode(), Mixup(), RandomDistort(), RandomExpand(fill_value=[1, 2, 3]),
                           RandomCrop(), RandomFlip()],
        batch_transforms=[BatchRandomResize([32, 64], keep_ratio=False, random_interp=True),
                          NormalizeBox(), PadBox(num_max_boxes=5), BboxXYXY2XYWH(),
                          NormalizeImage(), Permute(),
                          Gt2YoloTarget(anchors=ANCHORS, anchor_masks=[[6, 7, 8], [3, 4, 5],
                                                                       [0, 1, 2]],
                                        downsample_ratios=[32, 16, 8])],
        batch_size=batch_size, num_classes=2, mixup_epoch=mixup_epoch)


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        if isinstance(a[k], np.ndarray):
            np.testing.assert_array_equal(a[k], b[k], err_msg=k)
        else:
            assert a[k] == b[k], k


def test_train_batch_format(tmp_path):
    ds = _dataset(tmp_path)
    batches = list(_yolo_reader(mixup_epoch=1).batches(ds, seed=3))
    assert len(batches) == 3  # 7 images, batch 2, drop_last
    b = batches[0]
    side = b['image'].shape[-1]
    assert b['image'].shape == (2, 3, side, side) and side in (32, 64)
    assert b['gt_bbox'].shape == (2, 5, 4) and b['gt_class'].shape == (2, 5)
    assert b['gt_score'].shape == (2, 5) and b['target0'].shape == (2, 3, 8, side // 32,
                                                                    side // 32)
    assert b['im_shape'].dtype == np.float32 and b['scale_factor'].shape == (2, 2)
    assert isinstance(b['im_file'], list) and b['im_id'].shape == (2,)
    assert _yolo_reader().num_classes == 2 and \
        _yolo_reader().batch_transforms[-1].num_classes == 2  # shared num_classes reaches ops


def test_same_seed_same_batches_and_worker_count_does_not_matter(tmp_path):
    ds = _dataset(tmp_path)
    reader = _yolo_reader(mixup_epoch=5)
    a = list(reader.batches(ds, worker_num=0, seed=11, epoch=2))
    b = list(reader.batches(ds, worker_num=2, seed=11, epoch=2))
    assert len(a) == len(b) == 3
    for x, y in zip(a, b):
        _same(x, y)
    c = list(reader.batches(ds, worker_num=0, seed=11, epoch=3))
    assert any(x['im_file'] != y['im_file'] or not np.array_equal(x['image'], y['image'])
               for x, y in zip(a, c))


def test_variable_length_fields_are_lists_without_padbox(tmp_path):
    ds = _dataset(tmp_path, n=3)
    reader = EvalReader(sample_transforms=[Decode(), Resize([32, 32], keep_ratio=False),
                                           NormalizeImage(), Permute()], batch_size=2)
    batches = list(reader.batches(ds))
    assert [len(b['im_file']) for b in batches] == [2, 1]  # eval keeps the last image
    b = batches[0]
    assert b['image'].shape == (2, 3, 32, 32)
    assert isinstance(b['gt_bbox'], np.ndarray) or isinstance(b['gt_bbox'], list)
    reader = EvalReader(sample_transforms=[Decode()], batch_size=2, collate_batch=False)
    b = next(iter(reader.batches(ds)))
    assert isinstance(b['gt_bbox'], list) and b['gt_bbox'][0].shape == (1, 4)


def test_batch_indices_shuffle_drop_last_and_ranks():
    a = batch_indices(10, 3, True, True, seed=1, epoch=0)
    assert a == batch_indices(10, 3, True, True, seed=1, epoch=0) and len(a) == 3
    assert sorted(sum(batch_indices(10, 3, True, False, 1, 0), [])) == list(range(10))
    r0 = sum(batch_indices(10, 2, True, False, 1, 0, rank=0, world_size=3), [])
    r1 = sum(batch_indices(10, 2, True, False, 1, 0, rank=1, world_size=3), [])
    r2 = sum(batch_indices(10, 2, True, False, 1, 0, rank=2, world_size=3), [])
    assert len(r0) == len(r1) == len(r2) == 4 and set(r0 + r1 + r2) == set(range(10))
    with pytest.raises(ConfigError):
        batch_indices(10, 2, False, False, 0, 0, rank=3, world_size=3)


def test_worker_errors_reach_the_caller(tmp_path):
    ds = _dataset(tmp_path, n=4)
    (tmp_path / 'JPEGImages' / 'im2.jpg').write_bytes(b'garbage')
    reader = EvalReader(sample_transforms=[Decode()], batch_size=1)
    with pytest.raises(DatasetError, match='im2.jpg'):
        list(reader.batches(ds, worker_num=2))


def test_check_num_classes():
    check_num_classes(['RBC', 'WBC', 'Platelets'], 3, 'x.yml')
    with pytest.raises(ConfigError, match=r'num_classes is 80 but the dataset has 3 classes '
                                          r'\(RBC, WBC, Platelets\): set num_classes: 3'):
        check_num_classes(['RBC', 'WBC', 'Platelets'], 80, 'x.yml')
    with pytest.raises(ConfigError, match='background'):
        check_num_classes(['RBC', 'WBC', 'Platelets'], 4, 'x.yml')
    with pytest.raises(DatasetError):
        check_num_classes([], 3, 'x.yml')


def test_bccd_from_config_with_create(need_bccd, monkeypatch):
    from ppdet.core import workspace
    monkeypatch.chdir(ROOT)
    cfg = workspace.load_config('configs/datasets/bccd_voc.yml')
    workspace.merge_config(cfg, ['TrainDataset.anno_path=test.txt'])
    ds = workspace.create('TrainDataset', cfg)
    assert type(ds).__name__ == 'VOCDataSet' and len(ds) == 72
    assert ds.class_names == ['RBC', 'WBC', 'Platelets']
    check_num_classes(ds.class_names, cfg['num_classes'], 'bccd_voc.yml')
    test = workspace.create('TestDataset', cfg)
    assert test.class_names == ['RBC', 'WBC', 'Platelets']


def test_check_dataset_tool(need_bccd, tmp_path):
    tool = [sys.executable, str(ROOT / 'tools' / 'check_dataset.py')]
    r = run_child(tool + ['-c', 'configs/datasets/bccd_voc.yml'], cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert 'RBC, WBC, Platelets' in r.stdout and 'OK: nothing refused' in r.stdout
    assert '2 boxes dropped (2 zero or negative size' in r.stdout
    assert 'BloodImage_00338.xml' in r.stdout and 'BloodImage_00343.xml' in r.stdout
    # a dataset with a missing image: refused, named, exit status 1
    make_voc(tmp_path, {'a': {'objects': [('cat', [1, 1, 9, 9])]},
                        'b': {'objects': [('cat', [1, 1, 9, 9])], 'image': False}})
    cfg = tmp_path / 'c.yml'
    cfg.write_text(f'TrainDataset:\n  !VOCDataSet\n    dataset_dir: {tmp_path}\n'
                   f'    anno_path: train.txt\n')
    r = run_child(tool + ['-c', str(cfg)], cwd=ROOT,
                  timeout=120)
    assert r.returncode == 1 and 'b.jpg: image file not found' in r.stdout
    # an error in the data: message, no traceback, exit status 2
    r = run_child(tool + ['-c', str(cfg), '-o', 'TrainDataset.anno_path=nope.txt'],
                  cwd=ROOT, timeout=120)
    assert r.returncode == 1 and 'nope.txt not found' in r.stdout
    assert 'Traceback' not in r.stdout + r.stderr


YOLO_READER_YML = '''
_BASE_: ['{base}']
TrainReader:
  inputs_def: {{num_max_boxes: 50}}
  sample_transforms:
    - Decode: {{}}
    - Mixup: {{alpha: 1.5, beta: 1.5}}
    - RandomDistort: {{}}
    - RandomExpand: {{fill_value: [123.675, 116.28, 103.53]}}
    - RandomCrop: {{}}
    - RandomFlip: {{}}
  batch_transforms:
    - BatchRandomResize: {{target_size: [320, 352], random_size: True, random_interp: True,
                          keep_ratio: False}}
    - NormalizeBox: {{}}
    - PadBox: {{num_max_boxes: 50}}
    - BboxXYXY2XYWH: {{}}
    - NormalizeImage: {{mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], is_scale: True}}
    - Permute: {{}}
    - Gt2YoloTarget: {{anchor_masks: [[6, 7, 8], [3, 4, 5], [0, 1, 2]],
                      anchors: {anchors}, downsample_ratios: [32, 16, 8]}}
  batch_size: 2
  shuffle: true
  drop_last: true
  mixup_epoch: 250
  use_shared_memory: true
'''


def test_paddledetection_yolov3_reader_config_builds_and_runs(need_bccd, tmp_path, monkeypatch):
    from ppdet.core import workspace
    monkeypatch.chdir(ROOT)
    cfg_file = tmp_path / 'yolo.yml'
    cfg_file.write_text(YOLO_READER_YML.format(
        base=ROOT / 'configs' / 'datasets' / 'bccd_voc.yml', anchors=ANCHORS))
    cfg = workspace.load_config(str(cfg_file))
    workspace.merge_config(cfg, ['TrainDataset.sample_num=4'])
    reader = workspace.create('TrainReader', cfg)
    assert reader.num_classes == 3 and reader.batch_transforms[-1].num_classes == 3
    batch = next(iter(reader.batches(workspace.create('TrainDataset', cfg), seed=1)))
    side = batch['image'].shape[-1]
    assert batch['image'].shape == (2, 3, side, side) and side in (320, 352)
    assert batch['target2'].shape == (2, 3, 9, side // 8, side // 8)
    assert batch['gt_score'].shape == (2, 50)
