"""The must-show of the config issue, run as a user would: tools/print_config.py and bad configs."""
import os
import sys
import textwrap

from tests.helpers.proc import run as run_child

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(*args, cwd=ROOT):
    return run_child([sys.executable, *args], cwd=cwd,
                     timeout=300)


def test_print_config_shows_overrides_and_sources():
    # yolov3_mobilenet_v1_bccd_coco.yml -> yolov3_mobilenet_v1_bccd.yml -> _base_/*.yml
    proc = _run('tools/print_config.py', '-c', 'configs/yolov3/yolov3_mobilenet_v1_bccd_coco.yml',
                '-o', 'OptimizerBuilder.regularizer.factor=1', 'OptimizerBuilder.optimizer.momentum=2',
                '-o', 'LearningRate.base_lr=1e-3')
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert 'factor: 1  # -o OptimizerBuilder.regularizer.factor=1' in out
    assert 'momentum: 2  # -o OptimizerBuilder.optimizer.momentum=2' in out
    assert 'type: L2  # configs/yolov3/_base_/optimizer_270e.yml:' in out  # sibling kept
    assert 'base_lr: 0.001  # -o LearningRate.base_lr=1e-3' in out
    assert 'configs/yolov3/_base_/yolov3_mobilenet_v1.yml:' in out   # a value from a base file
    assert 'Traceback' not in proc.stderr


def test_typo_exits_non_zero_with_location_and_suggestion(tmp_path):
    cfg = tmp_path / 'typo.yml'
    cfg.write_text(textwrap.dedent(f'''
        _BASE_: {ROOT}/configs/yolov3/yolov3_mobilenet_v1_bccd.yml
        num_clases: 3
    ''').lstrip())
    proc = _run('tools/print_config.py', '-c', str(cfg))
    assert proc.returncode != 0
    assert 'typo.yml:2' in proc.stderr and 'did you mean: num_classes' in proc.stderr
    assert 'Traceback' not in proc.stderr
    proc = _run('tools/print_config.py', '-c', 'configs/yolov3/yolov3_mobilenet_v1_bccd.yml',
                '-o', 'TrainReader.batchsize=8')
    assert proc.returncode != 0
    assert '-o TrainReader.batchsize=8' in proc.stderr and 'did you mean: batch_size' in proc.stderr


def test_config_that_would_run_code_is_refused(tmp_path):
    marker = tmp_path / 'x'
    cfg = tmp_path / 'evil.yml'
    cfg.write_text(f'epoch: 1\nweights: !!python/object/apply:os.system ["touch {marker}"]\n')
    proc = _run('tools/train.py', '-c', str(cfg), '--dry-run')
    assert proc.returncode != 0
    assert 'evil.yml:2' in proc.stderr and 'not allowed' in proc.stderr
    assert not marker.exists()
