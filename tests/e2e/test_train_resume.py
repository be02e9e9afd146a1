"""Instant end-to-end: train a tiny config on BCCD, interrupt, resume, and get the same weights."""
import json
import os

import numpy as np
import pytest

from ppdet.checkpoint import safe_load
from ppdet.cli.train import main as train_main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'yolov3', 'yolov3_mobilenet_v1_bccd.yml')
TINY = ['pretrain_weights=', 'worker_num=0', 'seed=7', 'log_iter=1', 'snapshot_epoch=1',
        'TrainDataset.sample_num=4', 'TrainReader.batch_size=2', 'MobileNet.scale=0.25',
        'TrainReader.batch_transforms.0.BatchRandomResize.target_size=[128, 160]',
        'EvalDataset.sample_num=2', 'EvalReader.sample_transforms.1.Resize.target_size=[160, 160]',
        'LearningRate.base_lr=0.001']


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        base = tmp_path_factory.mktemp('runs')
        full = base / 'full'
        part = base / 'part'
        assert train_main(['-c', CONFIG, '--output_dir', str(full), '--eval',
                           '-o', *TINY, 'epoch=2']) == 0
        # the same run cut after its first epoch, then resumed
        assert train_main(['-c', CONFIG, '--output_dir', str(part),
                           '-o', *TINY, 'epoch=2', 'max_iters=2']) == 0
        assert train_main(['-c', CONFIG, '--output_dir', str(part), '-r', str(part),
                           '-o', *TINY, 'epoch=2']) == 0
    finally:
        os.chdir(cwd)
    return full, part


def test_run_folder_holds_the_records(runs):
    full, _ = runs
    names = set(os.listdir(full))
    assert {'config.yml', 'load_report.txt', 'metrics.jsonl', 'loss.png', 'map.png',
            'model_final.pdparams', 'best_model.pdparams'} <= names
    entries = [json.loads(line) for line in open(full / 'metrics.jsonl')]
    train = [e for e in entries if e['type'] == 'train']
    evals = [e for e in entries if e['type'] == 'eval']
    assert [e['iter'] for e in train] == [1, 2, 3, 4]
    assert all(np.isfinite(e['loss']) for e in train)
    for key in ('loss_xy', 'loss_wh', 'loss_obj', 'loss_cls', 'lr', 'batch_cost', 'data_cost',
                'ips'):
        assert all(np.isfinite(e[key]) for e in train), key
    assert all(e['batch_cost'] > 0 and e['ips'] > 0 for e in train)
    assert len(evals) == 2 and all(0.0 <= e['map'] <= 1.0 for e in evals)


def test_resume_continues_exactly(runs):
    full, part = runs
    a = safe_load(str(full / 'model_final.pdparams'))
    b = safe_load(str(part / 'model_final.pdparams'))
    assert a.keys() == b.keys()
    diff = {k: float(np.abs(a[k] - b[k]).max()) for k in a if not np.array_equal(a[k], b[k])}
    assert not diff, f'resumed run differs from the uninterrupted one: {diff}'
