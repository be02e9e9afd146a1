"""tools/train.py says when frozen parameters start untrained, and its remedy silences it."""
from tests.engine.conftest import CONFIGS, run_tool

BASE = ['-c', CONFIGS['faster_rcnn_fpn'], '--dry-run', '-o', 'pretrain_weights=', 'worker_num=0']


def test_the_warning_and_the_remedy_it_prints():
    first = run_tool('train', BASE)
    assert first.returncode == 0, first.stderr[-2000:]
    lines = first.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if 'frozen parameters keep their initial' in line)
    remedy = lines[at + 2].split()
    assert remedy[0] == '-o' and remedy[1:] == ['ResNet.freeze_norm=false', 'ResNet.freeze_at=-1']
    second = run_tool('train', BASE + remedy[1:])
    assert second.returncode == 0, second.stderr[-2000:]
    assert 'frozen parameters' not in second.stdout + second.stderr
