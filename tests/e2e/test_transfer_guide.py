"""The transfer-learning guide's Faster R-CNN command, run as a user runs it:

    python tools/train.py -c configs/faster_rcnn/faster_rcnn_r50_1x_coco.yml \\
        -o pretrain_weights=<zoo URL> finetune_exclude_pretrained_params=['cls_score','bbox_pred']

on BCCD (the dataset swapped in with -o, as a user without COCO does), with an 80-class
checkpoint of that config served over HTTP on 127.0.0.1. The legacy names must resolve to the
model's `bbox_head.bbox_score` / `bbox_head.bbox_delta`, the log must say so, and everything
else must be loaded: the frozen stem comes out of training bit-equal to the served weights.
"""
import os
import sys
from pathlib import Path

import numpy as np
import paddle

from ppdet.checkpoint import safe_load
from tests.helpers.http_server import LocalServer
from tests.helpers.proc import run as run_child

ROOT = Path(__file__).resolve().parents[2]
CONFIG = 'configs/faster_rcnn/faster_rcnn_r50_1x_coco.yml'
BCCD = ("TrainDataset={name: VOCDataSet, dataset_dir: dataset/bccd, anno_path: train.txt, "
        "label_list: label_list.txt, sample_num: 2}")
TINY = ['num_classes=3', 'metric=VOC', 'epoch=1', 'max_iters=1', 'worker_num=0',
        'use_gpu=false', 'TrainReader.sample_transforms.1.RandomResize.target_size=[[192, 256]]',
        'BBoxAssigner.batch_size_per_im=32',
        'RPNHead.train_proposal.pre_nms_top_n=600', 'RPNHead.train_proposal.post_nms_top_n=100']


def _zoo_checkpoint(folder: Path) -> Path:
    """An 80-class checkpoint of the config's model, as the zoo's file would be."""
    from ppdet.core.workspace import create, load_config
    cfg = load_config(str(ROOT / CONFIG))
    paddle.seed(1)
    model = create(cfg.architecture, cfg)
    path = folder / 'faster_rcnn_r50_1x_coco.pdparams'
    paddle.save(model.state_dict(), str(path))
    return path


def test_guide_command_fine_tunes_faster_rcnn_from_a_url(tmp_path):
    served = tmp_path / 'zoo'
    served.mkdir()
    zoo = _zoo_checkpoint(served)
    server = LocalServer(served)
    try:
        url = f'{server.url}/{zoo.name}'
        out = tmp_path / 'run'
        env = dict(os.environ, OMP_NUM_THREADS='1', PPDET_WEIGHTS_CACHE=str(tmp_path / 'cache'))
        proc = run_child(
            [sys.executable, 'tools/train.py', '-c', CONFIG, '--output_dir', str(out), '-o',
             f'pretrain_weights={url}', "finetune_exclude_pretrained_params=['cls_score','bbox_pred']",
             BCCD] + TINY, cwd=ROOT, env=env, timeout=600)
    finally:
        server.stop()
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert server.requests == [f'/{zoo.name}']
    assert 'cls_score -> bbox_head.bbox_score (legacy name)' in log, log[-5000:]
    assert 'bbox_pred -> bbox_head.bbox_delta (legacy name)' in log, log[-5000:]
    served_sd = safe_load(str(zoo))
    trained = safe_load(str(out / 'model_final.pdparams'))
    assert list(trained['bbox_head.bbox_score.weight'].shape) == [2048, 4]
    assert list(trained['bbox_head.bbox_delta.weight'].shape) == [2048, 12]
    frozen = [k for k in served_sd if k.startswith(('backbone.conv1.', 'backbone.res2.'))]
    assert frozen and all(np.array_equal(trained[k], served_sd[k]) for k in frozen)
    moved = [k for k in served_sd if k.startswith('rpn_head.')
             and not np.array_equal(trained[k], served_sd[k])]
    assert moved, 'the RPN did not train from the loaded weights'
