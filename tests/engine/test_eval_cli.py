"""tools/eval.py: a finite mAP and a JSON from trained weights; the wrong checkpoint is an
error that names what does not fit (tensors, classes, architecture)."""
from __future__ import annotations

import json
import math
import shutil

import pytest

from tests.engine.conftest import BCCD_NAMES, CONFIGS, ROOT, opts, run_tool


@pytest.mark.parametrize('family', ['ssd', 'yolov3'])
def test_eval_writes_finite_map_and_json(trained, tmp_path, family):
    run = trained(family)
    out = tmp_path / 'eval'
    proc = run_tool('eval', ['-c', CONFIGS[family]]
                    + opts(f'weights={run / "model_final"}') + ['--output_eval', str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'VOC AP (11point' in proc.stdout          # the per-class table
    for name in BCCD_NAMES:
        assert name in proc.stdout
    result = json.loads((out / 'eval_results.json').read_text())
    assert result['metric'] == 'VOC' and result['images'] == 3
    assert math.isfinite(result['map']) and 0.0 <= result['map'] <= 1.0
    assert [row['class'] for row in result['per_class']] == BCCD_NAMES
    assert result['weights'].endswith('model_final.pdparams')


def _save_model(tmp_path, family: str, num_classes: int, names):
    """A real checkpoint of `family` built for `num_classes` classes (random weights)."""
    from ppdet.checkpoint import save_checkpoint
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.engine.builders import build_model
    cfg = merge_config(load_config(str(ROOT / CONFIGS[family]), validate=False),
                       [f'num_classes={num_classes}', 'pretrain_weights='])
    files = save_checkpoint(str(tmp_path / f'{family}_{num_classes}cls'), build_model(cfg),
                            architecture=cfg['architecture'], class_names=names)
    return files.prefix


def test_eval_checkpoint_with_other_class_count_is_an_error(tmp_path, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.eval import main
    prefix = _save_model(tmp_path, 'ssd', 4, BCCD_NAMES + ['Other'])
    code = run_in_process(main, ['-c', CONFIGS['ssd']] + opts(f'weights={prefix}')
                          + ['--output_eval', str(tmp_path / 'eval')])
    err = capsys.readouterr().err
    assert code == 2
    # names the tensors that do not fit, with both shapes (4 or 3 classes + background, x3)
    assert 'ssd_head.scores0.weight: checkpoint [15, 512, 1, 1] vs model [12, 512, 1, 1]' in err
    assert '12 of 199 model tensors cannot be restored' in err
    assert 'trained on 4 classes [RBC, WBC, Platelets, Other]' in err
    assert 'Traceback' not in err
    assert not (tmp_path / 'eval' / 'eval_results.json').exists()


def test_eval_class_order_mismatch_is_an_error(trained, tmp_path, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.eval import main
    run = trained('ssd')
    shutil.copy(run / 'model_final.pdparams', tmp_path / 'swapped.pdparams')
    meta = json.loads((run / 'model_final.meta.json').read_text())
    meta['class_names'] = ['WBC', 'RBC', 'Platelets']
    (tmp_path / 'swapped.meta.json').write_text(json.dumps(meta))
    code = run_in_process(main, ['-c', CONFIGS['ssd']] + opts(f'weights={tmp_path / "swapped"}')
                          + ['--output_eval', str(tmp_path / 'eval')])
    err = capsys.readouterr().err
    assert code == 2
    assert 'another order' in err and '[WBC, RBC, Platelets]' in err
    assert not (tmp_path / 'eval').exists()


def test_eval_checkpoint_of_other_architecture_is_an_error(trained, tmp_path, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.eval import main
    yolo = trained('yolov3')
    code = run_in_process(main, ['-c', CONFIGS['ssd']] + opts(f'weights={yolo / "model_final"}'))
    err = capsys.readouterr().err
    assert code == 2
    assert 'is a checkpoint of YOLOv3 but the config builds SSD' in err


def test_eval_without_weights_is_an_error(tmp_path, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.eval import main
    code = run_in_process(main, ['-c', CONFIGS['ssd']] + opts(f'weights={tmp_path / "nothing"}'))
    assert code == 2
    assert 'nothing' in capsys.readouterr().err
