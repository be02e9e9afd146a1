"""Shared by the eval / infer / export tests: one tiny training run per family, made by
`tools/train.py` exactly as a user runs it, reused by every test of the session."""
from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from tests.helpers.proc import run as run_child

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = {'ssd': 'configs/ssd/ssd_mobilenet_v1_bccd.yml',
           'yolov3': 'configs/yolov3/yolov3_mobilenet_v1_bccd.yml',
           # the shipped BCCD configs (C4: the shipped C4 model and reader) at test size:
           # ResNet-18, narrow layers, 192x256 inputs, few RoIs
           'faster_rcnn_fpn': 'tests/deploy/configs/faster_rcnn_r18_fpn_tiny_bccd.yml',
           'faster_rcnn_c4': 'tests/deploy/configs/faster_rcnn_r18_c4_tiny_bccd.yml',
           'retinanet': 'tests/deploy/configs/retinanet_r18_fpn_tiny_bccd.yml'}
# no download (no internet in CI), two iterations, three eval images, no worker processes
TINY = ['pretrain_weights=', 'use_gpu=false', 'worker_num=0', 'TrainReader.batch_size=2',
        'epoch=1', 'max_iters=2', 'EvalDataset.sample_num=3']
BCCD_NAMES = ['RBC', 'WBC', 'Platelets']


def run_tool(tool: str, args: List[str], timeout: int = 240) -> subprocess.CompletedProcess:
    """Run tools/<tool>.py from the project root (configs name dataset/bccd relative to it)."""
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    return run_child([sys.executable, str(ROOT / 'tools' / f'{tool}.py')] + args,
                     cwd=ROOT, env=env, timeout=timeout)


def opts(*extra: str) -> List[str]:
    return ['-o'] + TINY + list(extra)


class TrainedRuns:
    """family -> run folder with model_final.*, trained on first use.

    The folder is shared by every test process of one session (pytest-xdist workers too):
    the first to need a family trains it under a file lock, the others wait and reuse it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.base.mkdir(parents=True, exist_ok=True)

    def __call__(self, family: str) -> Path:
        out = self.base / family
        with open(self.base / f'{family}.lock', 'w') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (out / 'model_final.meta.json').is_file():
                proc = run_tool('train', ['-c', CONFIGS[family]] + opts()
                                + ['--output_dir', str(out)])
                assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
                assert (out / 'model_final.pdparams').is_file()
                assert (out / 'model_final.meta.json').is_file()
        return out


@pytest.fixture(scope='session')
def trained(tmp_path_factory, request) -> TrainedRuns:
    # under pytest-xdist each worker has its own basetemp; their parent is the session's
    root = tmp_path_factory.getbasetemp()
    is_worker = hasattr(request.config, 'workerinput')
    return TrainedRuns((root.parent if is_worker else root) / 'trained_runs')


@pytest.fixture
def at_root(monkeypatch):
    """In-process tool runs resolve config and dataset paths from the project root."""
    monkeypatch.chdir(ROOT)
    return ROOT
