"""Instant smoke run of the README's first command (tools/demo.py), and its offline rule."""
import json
import math
import os
import re
import sys

import pytest

from ppdet.core.errors import WeightsError
from ppdet.engine.demo import FINETUNE_CONFIG, SCRATCH_CONFIG, choose_config
from tests.helpers.proc import run as run_child

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The shipped from-scratch config, cut to 2 epochs of 2 iterations on a few images at 128 px,
# evaluated after each epoch (the shipped config evaluates every 12 of its 48 epochs).
TINY = ['epoch=2', 'snapshot_epoch=1', 'worker_num=0', 'log_iter=1',
        'TrainDataset.sample_num=4', 'TrainReader.batch_size=2', 'MobileNet.scale=0.25',
        'TrainReader.sample_transforms.3.Resize.target_size=[128, 128]',
        'EvalDataset.sample_num=3', 'EvalReader.sample_transforms.1.Resize.target_size=[128, 128]',
        'TestReader.sample_transforms.1.Resize.target_size=[128, 128]']


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp('demo') / 'run'
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = run_child([sys.executable, 'tools/demo.py', '--offline', '--output_dir',
                      str(out), '--num-images', '2', '-o', *TINY],
                     cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout


def test_demo_says_it_trains_from_scratch(demo_run):
    _, stdout = demo_run
    assert 'training from scratch' in stdout
    assert SCRATCH_CONFIG in stdout


def test_demo_prints_a_finite_map_on_the_test_split(demo_run):
    _, stdout = demo_run
    m = re.search(r'VOC mAP on (\S+): ([0-9.]+)%', stdout)
    assert m, stdout[-2000:]
    assert m.group(1) == 'test.txt'
    assert math.isfinite(float(m.group(2)))
    assert re.search(r'per class: RBC [0-9.]+%, WBC [0-9.]+%, Platelets [0-9.]+%', stdout)


def test_demo_writes_model_records_and_detections(demo_run):
    out, stdout = demo_run
    for name in ('model_final.pdparams', 'config.yml', 'metrics.jsonl'):
        assert (out / name).is_file(), name
    images = sorted((out / 'detections').glob('*.jpg'))
    assert len(images) == 2
    doc = json.loads((out / 'detections' / 'detections.json').read_text())
    assert sorted(r['output'] for r in doc['images']) == [str(p) for p in images]
    assert str(out) in stdout
    evals = [json.loads(line) for line in (out / 'metrics.jsonl').read_text().splitlines()
             if '"eval"' in line]
    assert [e['split'] for e in evals] == ['test.txt', 'test.txt']
    assert [e['iter'] for e in evals] == [2, 4]
    assert (out / 'map.png').is_file() and (out / 'loss.png').is_file()
    printed = float(re.search(r'VOC mAP on \S+: ([0-9.]+)%', stdout).group(1))
    assert abs(printed - 100 * evals[-1]['map']) < 0.05       # the summary is the last one


def test_demo_forecasts_its_duration_from_its_first_iterations(demo_run):
    _, stdout = demo_run
    assert re.search(r'^demo: this machine: training takes about \d+:\d\d:\d\d \(4 '
                     r'iterations at [0-9.]+ s each, timed over iterations 3-4\)$', stdout,
                     re.M), stdout[-3000:]
    assert re.search(r'^demo: one evaluation of 3 images takes \d+ s on this machine',
                     stdout, re.M)
    first_lines = stdout.splitlines()[:3]
    assert first_lines[0].startswith('demo: CPU threads: ')


def test_offline_rule(tmp_path):
    """Unreachable zoo weights -> the scratch config, and the reason says so; reachable ->
    the fine-tune config with the resolved file."""
    def unreachable(source, timeout):
        raise WeightsError(f'{source}: download failed (no network)')

    def cached(source, timeout):
        return str(tmp_path / 'w.pdparams')

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        off = choose_config(resolve=unreachable)
        on = choose_config(resolve=cached)
        forced = choose_config(offline=True, resolve=cached)
    finally:
        os.chdir(cwd)
    assert off.config == SCRATCH_CONFIG and off.from_scratch and 'FROM SCRATCH' in off.reason
    assert on.config == FINETUNE_CONFIG and not on.from_scratch
    assert on.weights_path == str(tmp_path / 'w.pdparams')
    assert forced.config == SCRATCH_CONFIG and forced.from_scratch
