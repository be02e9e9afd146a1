"""Data-parallel training over two processes (gloo on CPU) against one process.

The comparison is made on one step's gradients, where it can be exact:
- two processes inside `paddle.DataParallel` must give, bit for bit, the mean of the gradients
  one process computes on each rank's share of the global batch. Each rank runs the same kernels
  on the same shapes as that process does, and averaging two float32 values (a + b, then a
  halving, which is exact) rounds the same wherever it runs, so any difference is a fault of the
  split (wrong samples on a rank, missing or doubled all-reduce), never round-off;
- the mean of the ranks' gradients must equal the gradient of the whole global batch in one
  process (the loss is a mean over images). Only the order of the float sums differs, so this
  is checked in float64, where that round-off is below 1e-12 of the gradient's scale (at most
  ~1e6 products per gradient element, each sum off by at most n * 2^-53 ≈ 1e-10 of the sum of
  magnitudes), while a split that changes the loss's normalisation is off by a factor.
Comparing weights after several float32 steps instead would compare round-off amplified by the
loss (IoU thresholds, the optimiser) and depend on the machine's kernels.
A short run of `tools/train.py` under the launcher checks the trainer's own data-parallel path.
"""
import os
import sys

import numpy as np

from ppdet.checkpoint import safe_load
from tests.helpers.proc import run as run_child

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEP = os.path.join(ROOT, 'tests', 'engine', 'dp_one_step.py')
CONFIG = os.path.join(ROOT, 'configs', 'yolov3', 'yolov3_mobilenet_v1_bccd.yml')


def _run(cmd, out_dir, expect_ok=True, **extra_env):
    env = {k: v for k, v in os.environ.items() if k != 'GLOO_SOCKET_IFNAME'}
    env.update(OMP_NUM_THREADS='1', PYTHONPATH=ROOT, **extra_env)
    log_dir = str(out_dir) + '_logs'
    if cmd[0] == 'launch':
        # loopback, not whatever address the machine's hostname resolves to (which may be
        # slow to look up, or an address that this machine cannot reach)
        cmd = ['-m', 'paddle.distributed.launch', '--host', '127.0.0.1', '--nproc_per_node',
               '2', '--log_dir', log_dir] + cmd[1:]
    proc = run_child([sys.executable] + cmd, cwd=ROOT, env=env, timeout=600)
    logs = proc.stdout + proc.stderr
    if os.path.isdir(log_dir):
        for name in sorted(os.listdir(log_dir)):
            with open(os.path.join(log_dir, name), errors='replace') as f:
                logs += f'\n--- {name}\n' + f.read()[-3000:]
    assert (proc.returncode == 0) == expect_ok, logs[-6000:]
    return logs


def _step(tmp_path, how, dtype='float32'):
    out = tmp_path / f'{how}_{dtype}.npz'
    cmd = ['launch', STEP, str(out), how] if how == 'ranks' else [STEP, str(out), how, dtype]
    _run(cmd, tmp_path / how)
    return dict(np.load(out))


def test_all_reduced_gradients_are_the_mean_of_each_ranks_own_gradients(tmp_path):
    ranks = _step(tmp_path, 'ranks')
    split = _step(tmp_path, 'split')
    assert ranks.keys() == split.keys() and len(ranks) > 40
    differ = [k for k in split if not np.array_equal(ranks[k], split[k])]
    assert not differ, f'{len(differ)} gradients differ, e.g. {differ[:3]}'
    assert any(np.abs(g).max() > 0 for g in split.values())


def test_mean_of_the_ranks_gradients_is_the_global_batch_gradient(tmp_path):
    split = _step(tmp_path, 'split', 'float64')
    whole = _step(tmp_path, 'global', 'float64')
    assert split.keys() == whole.keys()
    for name, g in whole.items():
        scale = float(np.abs(g).max())
        assert float(np.abs(split[name] - g).max()) <= 1e-12 * max(scale, 1e-30), name


TRAIN = ['tools/train.py', '-c', CONFIG, '-o', 'pretrain_weights=', 'epoch=1', 'max_iters=2',
         'worker_num=0', 'log_iter=1', 'TrainDataset.sample_num=8', 'TrainReader.batch_size=2',
         'TrainReader.mixup_epoch=-1', 'MobileNet.scale=0.25',
         'TrainReader.batch_transforms.0.BatchRandomResize.target_size=[160]']


def test_train_tool_runs_data_parallel(tmp_path):
    out = tmp_path / 'run'
    logs = _run(['launch'] + TRAIN + ['--output_dir', str(out)], tmp_path / 'run')
    assert 'training done: 2 iterations' in logs
    state = safe_load(str(out / 'model_final.pdparams'))
    assert state and all(np.isfinite(v).all() for v in state.values())


def test_a_group_that_cannot_form_is_an_error_with_the_remedy(tmp_path):
    """gloo told to use an interface this machine lacks: each process says why and what to
    run instead, without a traceback; that command is the one the test above runs."""
    logs = _run(['launch'] + TRAIN + ['--output_dir', str(tmp_path / 'run')], tmp_path / 'bad',
                expect_ok=False, GLOO_SOCKET_IFNAME='no_such_if0')
    assert 'the 2 training processes could not form a process group' in logs
    assert 'no_such_if0' in logs
    assert '--host 127.0.0.1 --nproc_per_node N tools/train.py -c CFG' in logs
    assert 'Traceback' not in logs
