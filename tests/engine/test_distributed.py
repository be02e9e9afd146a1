"""Two data-parallel processes (gloo on CPU) follow one process with the same global batch."""
import os
import subprocess
import sys

import numpy as np
import pytest

from ppdet.checkpoint import safe_load

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = os.path.join(ROOT, 'configs', 'yolov3', 'yolov3_mobilenet_v1_bccd.yml')

# Small and deterministic: 3 steps at 160 px; BatchNorm frozen (per-process batch statistics
# would differ from one big batch by design); no Mixup; fixed seed.
COMMON = [
    'pretrain_weights=', 'epoch=1', 'max_iters=3', 'worker_num=0', 'seed=3', 'log_iter=1',
    'TrainDataset.sample_num=12', 'freeze_params=[\'*._mean\']', 'TrainReader.mixup_epoch=-1',
    'TrainReader.batch_transforms.0.BatchRandomResize.target_size=[160]',
    'MobileNet.scale=0.25', 'LearningRate.base_lr=0.01',
    'LearningRate.schedulers=[{name: PiecewiseDecay, milestones: [100], gamma: 0.1}]',
]


def _initial_weights():
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.engine.builders import build_model
    from ppdet.engine.trainer import seed_everything
    cfg = merge_config(load_config(CONFIG), COMMON + ['TrainReader.batch_size=4'])
    seed_everything(int(cfg.seed))
    return {k: v.numpy() for k, v in build_model(cfg).state_dict().items()}


def _train(out_dir, per_process_batch, nproc):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    args = ['tools/train.py', '-c', CONFIG, '--output_dir', str(out_dir), '-o', *COMMON,
            f'TrainReader.batch_size={per_process_batch}']
    if nproc > 1:
        cmd = [sys.executable, '-m', 'paddle.distributed.launch', '--nproc_per_node',
               str(nproc), '--log_dir', str(out_dir) + '_logs', *args]
    else:
        cmd = [sys.executable, *args]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    logs = proc.stdout + proc.stderr
    if nproc > 1 and os.path.isdir(str(out_dir) + '_logs'):
        for name in sorted(os.listdir(str(out_dir) + '_logs')):
            with open(os.path.join(str(out_dir) + '_logs', name), errors='replace') as f:
                logs += f'\n--- {name}\n' + f.read()[-3000:]
    assert proc.returncode == 0, logs[-6000:]
    return safe_load(os.path.join(str(out_dir), 'model_final.pdparams'))


def test_two_processes_match_one_process_with_the_global_batch(tmp_path):
    single = _train(tmp_path / 'single', per_process_batch=4, nproc=1)
    double = _train(tmp_path / 'double', per_process_batch=2, nproc=2)
    assert single.keys() == double.keys()
    for name, a in single.items():
        # summation order differs between one and two processes: float32 round-off only,
        # measured against the tensor's scale (a wrong split differs by more than 1)
        scale = max(float(np.abs(a).max()), 1e-3)
        assert float(np.abs(double[name] - a).max()) <= 1e-4 * scale, name
    initial = _initial_weights()
    norm = ('_mean', '_variance', 'norm.weight', 'norm.bias')
    trained = [k for k in single if not k.endswith(norm)]
    moved = [k for k in trained if np.abs(single[k] - initial[k]).max() > 1e-5]
    assert len(moved) > len(trained) // 2, 'training did not change the weights'
    frozen = [k for k in single if k.endswith(norm)]
    assert frozen and all(np.array_equal(single[k], initial[k]) for k in frozen)
