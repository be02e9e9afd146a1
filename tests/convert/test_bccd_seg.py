"""dataset/bccd_seg: its labelme folder converted by tools/x2coco.py gives the committed COCO
files, which COCODataSet reads with gt_poly and Mask R-CNN's training reader carries through
every transform with polygons inside the image and aligned with their boxes."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from ppdet.data.polygon import polygons_extent
from tests.helpers.proc import run as run_child

ROOT = Path(__file__).resolve().parents[2]
SEG = ROOT / 'dataset' / 'bccd_seg'
FIELDS = ['image', 'gt_bbox', 'gt_class', 'gt_poly', 'is_crowd']
# PaddleDetection 2.6's mask_rcnn_reader.yml (FPN), at smaller sizes
MASK_READER_YML = '''
_BASE_: ['{base}']
TrainReader:
  sample_transforms:
  - Decode: {{}}
  - RandomResize: {{target_size: [[224, 400], [256, 400]], interp: 2, keep_ratio: True}}
  - RandomFlip: {{prob: 0.5}}
  - NormalizeImage: {{is_scale: true, mean: [0.485,0.456,0.406], std: [0.229, 0.224,0.225]}}
  - Permute: {{}}
  batch_transforms:
  - PadBatch: {{pad_to_stride: 32}}
  batch_size: 2
  shuffle: true
  drop_last: true
  collate_batch: false
  use_shared_memory: true
'''


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """The documented command, into a temporary folder (images copied there)."""
    out = tmp_path_factory.mktemp('bccd_seg')
    proc = run_child(
        [sys.executable, 'tools/x2coco.py', '--dataset_type', 'labelme', '--json_input_dir',
         'dataset/bccd_seg/labelme', '--output_dir', str(out), '--train_proportion', '0.8',
         '--val_proportion', '0.2', '--label_list', 'dataset/bccd_seg/label_list.txt',
         '--workers', '1'],
        cwd=ROOT, timeout=300,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def test_committed_coco_files_are_the_conversion_of_labelme(converted):
    for split in ('train', 'val'):
        name = f'instance_{split}.json'
        fresh = json.loads((converted / 'annotations' / name).read_text())
        committed = json.loads((SEG / 'annotations' / name).read_text())
        assert fresh == committed, f'{name}: re-run the command in dataset/bccd_seg/README.md'
    train = json.loads((SEG / 'annotations' / 'instance_train.json').read_text())
    assert [c['name'] for c in train['categories']] == ['WBC', 'Platelets']
    assert all(a['iscrowd'] == 0 and a['area'] > 0 and len(a['segmentation'][0]) >= 6
               for a in train['annotations'])


def _check(sample, step):
    """Polygons inside the valid image and each object's polygon extent equal to its box."""
    h, w = (float(v) for v in sample['im_shape'])
    boxes, polys = sample['gt_bbox'], sample['gt_poly']
    assert len(polys) == len(boxes) > 0, step
    # x2coco rounds box and vertices to 0.01 px; scaling by < 1 keeps that (float32 far below)
    for box, parts in zip(boxes, polys):
        pts = np.concatenate(parts).reshape(-1, 2)
        assert pts.dtype == np.float32, step
        assert (pts >= 0).all() and (pts[:, 0] <= w).all() and (pts[:, 1] <= h).all(), step
        np.testing.assert_allclose(polygons_extent(parts), box, atol=0.02, err_msg=step)


def test_mask_rcnn_training_reader_keeps_polygons_aligned(converted, tmp_path, monkeypatch):
    from ppdet.core import workspace
    from ppdet.engine.batch import to_model_inputs
    monkeypatch.chdir(ROOT)
    cfg_file = tmp_path / 'mask_reader.yml'
    cfg_file.write_text(MASK_READER_YML.format(
        base=ROOT / 'configs' / 'datasets' / 'bccd_seg_coco.yml'))
    cfg = workspace.load_config(str(cfg_file))
    workspace.merge_config(cfg, [f'TrainDataset.dataset_dir={converted}',
                                 'TrainDataset.image_dir=train'])
    dataset = workspace.create('TrainDataset', cfg)
    reader = workspace.create('TrainReader', cfg)
    assert dataset.class_names == ['WBC', 'Platelets'] and len(dataset) == 8
    assert dataset.summary.polygons == 26 and not dataset.summary.polygon_fixes
    flips = 0
    for idx in range(len(dataset)):
        sample = dataset[idx]
        sample['im_shape'] = np.array([sample['h'], sample['w']], np.float32)
        _check(sample, 'record')
        rng = np.random.default_rng([0, idx])
        for op in reader.sample_transforms:
            before = sample['gt_bbox'].copy()
            sample = op(sample, rng)
            _check(sample, type(op).__name__)
            flips += type(op).__name__ == 'RandomFlip' and \
                not np.array_equal(before, sample['gt_bbox'])
        out = reader.batch_transforms[0]([sample], rng)[0]
        _check(out, 'PadBatch')
        assert out['image'].shape[1] % 32 == 0 and out['image'].shape[2] % 32 == 0
    assert 0 < flips < len(dataset)  # prob 0.5 over 8 images: both cases were checked
    batch = next(iter(reader.batches(dataset, seed=3)))
    assert isinstance(batch['gt_poly'], list) and len(batch['gt_poly']) == 2
    inputs = to_model_inputs(batch)
    assert inputs['gt_poly'] is batch['gt_poly']  # passed to the model untouched
    assert isinstance(inputs['gt_poly'][0][0][0], np.ndarray)
