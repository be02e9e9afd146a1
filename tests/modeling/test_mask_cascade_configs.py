"""Our Cascade / Mask R-CNN configs say what PaddleDetection 2.6's own say.

Loaded here, each of our four configs resolves to the same values as PaddleDetection's
release/2.6 config of the same name (../shared/reference/ppdet26_configs), section by section,
except three of ours: the evaluation set accepts images without objects (`allow_empty`, as in
our other COCO configs), readers do not name `use_shared_memory`, and configs/runtime.yml does
not write PaddleDetection's device and printing switches that do nothing here. Both build the same
model (names and shapes are covered by test_ppdet26_config_keys.py).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from ppdet.core.workspace import load_config
from tests.modeling._yolo_helpers import SHARED

ROOT = Path(__file__).resolve().parents[2]
THEIRS = SHARED / 'reference' / 'ppdet26_configs' / 'configs'
UNWRITTEN_RUNTIME_KEYS = ('use_xpu', 'use_mlu', 'use_npu', 'print_flops', 'print_params')
CONFIGS = ['cascade_rcnn/cascade_rcnn_r50_fpn_1x_coco.yml',
           'cascade_rcnn/cascade_mask_rcnn_r50_fpn_1x_coco.yml',
           'mask_rcnn/mask_rcnn_r50_fpn_1x_coco.yml',
           'mask_rcnn/mask_rcnn_r50_1x_coco.yml']


@pytest.mark.parametrize('config', CONFIGS)
def test_our_config_resolves_as_paddledetections(config):
    ours, theirs = dict(load_config(str(ROOT / 'configs' / config))), \
        dict(load_config(str(THEIRS / config)))
    for reader in ('TrainReader', 'EvalReader', 'TestReader'):
        theirs[reader] = {k: v for k, v in theirs[reader].items() if k != 'use_shared_memory'}
    for key in UNWRITTEN_RUNTIME_KEYS:
        theirs.pop(key)
    assert ours.pop('EvalDataset') == dict(theirs.pop('EvalDataset'), allow_empty=True)
    assert sorted(ours) == sorted(theirs)
    for key in ours:
        assert ours[key] == theirs[key], key


def test_instance_datasets_read_polygons_and_crowds():
    cfg = load_config(str(ROOT / 'configs' / 'mask_rcnn' / 'mask_rcnn_r50_fpn_1x_coco.yml'))
    assert cfg['TrainDataset']['data_fields'] == ['image', 'gt_bbox', 'gt_class', 'gt_poly',
                                                  'is_crowd']
    assert cfg['TrainReader']['collate_batch'] is False  # polygons stay per-image lists
