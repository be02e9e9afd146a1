"""Shared helpers of the YOLOv3 tests: build models from our config files, find fixtures."""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get('PPDET_SHARED', Path(__file__).resolve().parents[3] / 'shared'))
KEYS_DIR = SHARED / 'reference' / 'keys'
PARITY_DIR = SHARED / 'reference' / 'parity'

# top-level config -> its model base file (the part that defines the network)
MODEL_BASES = {
    'yolov3_darknet53_270e_coco': 'configs/yolov3/_base_/yolov3_darknet53.yml',
    'yolov3_mobilenet_v1_270e_coco': 'configs/yolov3/_base_/yolov3_mobilenet_v1.yml',
    'yolov3_r50vd_dcn_270e_coco': 'configs/yolov3/_base_/yolov3_r50vd_dcn.yml',
}


def build_model(config: str, num_classes: int = 80, overrides=None):
    """Build the architecture of `config` from its model base file (no dataset/reader needed)."""
    from ppdet.core.workspace import create, load_config, merge_config
    cfg = load_config(str(REPO / MODEL_BASES[config]), validate=False)
    items = [f'num_classes={num_classes}'] + list(overrides or [])
    merge_config(cfg, items, validate=False)
    return create(cfg.architecture, cfg)
