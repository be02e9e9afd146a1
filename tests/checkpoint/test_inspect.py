"""tools/inspect_weights.py: the plan `tools/train.py --dry-run` prints, made by the same code
against the dataset's classes; and the config keys it reads."""
import pickle
import re

import pytest

from ppdet.checkpoint.config_bridge import load_policy_from, pretrain_kwargs_from_config
from ppdet.core.cli import run_tool
from ppdet.core.errors import WeightsError
from ppdet.cli.inspect_weights import main as inspect_main
from ppdet.cli.train import main as train_main
from tests.checkpoint._models import (BCCD_NAMES, ROOT, TINY_RUN, YOLO_BCCD, build_from_config,
                                      save_tiny_yolo_checkpoint)


@pytest.fixture
def at_root(monkeypatch):
    monkeypatch.chdir(ROOT)  # the configs name dataset/bccd relative to the project root


def _plan(text):
    """The load report of a tool's output, without its timing."""
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith('Weights: '))
    end = next(i for i, l in enumerate(lines) if l.startswith('dry run: '))
    return [re.sub(r'\d+\.\d+s', 'T', l) for l in lines[start:end]]


def test_inspect_and_dry_run_print_the_same_plan(tmp_path, capsys, at_root):
    prefix = save_tiny_yolo_checkpoint(tmp_path / 'w', BCCD_NAMES[::-1])  # dataset: reversed
    opts = ['-o'] + TINY_RUN + [f'pretrain_weights={prefix}.pdparams']
    assert run_tool(inspect_main, ['-c', YOLO_BCCD] + opts) == 0
    inspected = capsys.readouterr().out
    assert run_tool(train_main, ['-c', YOLO_BCCD, '--dry-run', '--output_dir',
                                 str(tmp_path / 'run')] + opts) == 0
    dry = capsys.readouterr().out
    assert _plan(inspected) == _plan(dry)
    assert 'kept (target <- checkpoint index): RBC<-2, WBC<-1, Platelets<-0' in inspected
    assert 'model 3 classes' in inspected


def test_inspect_backbone_only_checkpoint(tmp_path, capsys, at_root):
    model = build_from_config(YOLO_BCCD)
    sd = {k[len('backbone.'):]: v.numpy() for k, v in model.state_dict().items()
          if k.startswith('backbone.')}
    path = tmp_path / 'MobileNetV1_pretrained.pdparams'
    with open(path, 'wb') as f:
        pickle.dump(sd, f, protocol=4)
    assert run_tool(inspect_main, ['-c', YOLO_BCCD, '--weights', str(path),
                                   '-o'] + TINY_RUN) == 0
    out = capsys.readouterr().out
    assert 'matching=exact+suffix' in out and 'plan only' in out
    backbone_line = [l for l in out.splitlines() if l.startswith('backbone ')][0]
    assert backbone_line.rstrip().endswith('100.0%')
    assert 'missing from checkpoint, kept fresh' in out


def test_inspect_without_weights_says_what_to_set(capsys, at_root):
    assert run_tool(inspect_main, ['-c', YOLO_BCCD, '-o'] + TINY_RUN) == 2
    assert 'set -o pretrain_weights=... or --weights' in capsys.readouterr().err


def test_config_bridge():
    kw = pretrain_kwargs_from_config({'finetune_exclude_pretrained_params': 'cls_score',
                                      'class_aware_transfer': False,
                                      'load_policy': {'min_loaded_fraction': 0.1}})
    assert kw['exclude'] == ['cls_score'] and kw['mode'] == 'detection'
    assert kw['class_aware'] is False and kw['policy'].min_loaded_fraction == 0.1
    assert load_policy_from(None) is None
    with pytest.raises(WeightsError, match='require_full_backbone'):
        load_policy_from({'require_full_backbon': False})
