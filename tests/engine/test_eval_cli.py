"""tools/eval.py: a finite mAP and a JSON from trained weights; the wrong checkpoint is an
error that names what does not fit (tensors, classes, architecture)."""
from __future__ import annotations

import json
import math
import shutil

import pytest

from ppdet.core.cli import run_tool as run_tool_in_process
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


def _bccd_coco_config(tmp_path) -> str:
    """The YOLOv3 BCCD config evaluated with `metric: COCO` on 3 val images written as a COCO
    annotation file (categories 1..3 = RBC, WBC, Platelets)."""
    from ppdet.cli.common import load_tool_config
    from ppdet.engine.builders import build_data
    import argparse
    cfg = load_tool_config(argparse.Namespace(config=CONFIGS['yolov3'],
                                              opt=[['EvalDataset.sample_num=3']]))
    dataset, _ = build_data(cfg, 'eval')
    images, annos = [], []
    for i, rec in enumerate(dataset.records):
        images.append({'id': i, 'file_name': rec['im_file'].split('/')[-1],
                       'width': int(rec['w']), 'height': int(rec['h'])})
        for box, cls in zip(rec['gt_bbox'].tolist(), rec['gt_class'].reshape(-1).tolist()):
            x1, y1, x2, y2 = box
            annos.append({'id': len(annos) + 1, 'image_id': i, 'category_id': int(cls) + 1,
                          'bbox': [x1, y1, x2 - x1, y2 - y1], 'area': (x2 - x1) * (y2 - y1),
                          'iscrowd': 0})
    cats = [{'id': k + 1, 'name': n} for k, n in enumerate(BCCD_NAMES)]
    (tmp_path / 'val.json').write_text(json.dumps({'images': images, 'annotations': annos,
                                                   'categories': cats}))
    config = tmp_path / 'yolov3_bccd_cocometric.yml'
    config.write_text(f'_BASE_: [{ROOT / CONFIGS["yolov3"]}]\nmetric: COCO\nEvalDataset:\n'
                      f'  !COCODataSet\n    dataset_dir: {tmp_path}\n'
                      f'    image_dir: {ROOT / "dataset/bccd/JPEGImages"}\n'
                      f'    anno_path: val.json\n')
    return str(config)


def test_save_prediction_only_then_json_eval_gives_the_same_map(trained, tmp_path, at_root):
    from ppdet.cli.eval import main
    config = _bccd_coco_config(tmp_path)
    weights = opts(f'weights={trained("yolov3") / "model_final"}')
    full, pred = tmp_path / 'full', tmp_path / 'pred'
    assert run_tool_in_process(main, ['-c', config, '--output_eval', str(full)] + weights) == 0
    assert run_tool_in_process(main, ['-c', config, '--save_prediction_only', '--output_eval',
                                      str(pred)] + weights) == 0
    assert (pred / 'bbox.json').is_file() and not (pred / 'eval_results.json').exists()
    assert run_tool_in_process(main, ['-c', config, '--json_eval', '--output_eval',
                                      str(pred), '-o']) == 0
    a = json.loads((full / 'eval_results.json').read_text())
    b = json.loads((pred / 'eval_results.json').read_text())
    assert a['metric'] == b['metric'] == 'COCO'
    assert a['stats'] == b['stats'] and a['map'] == b['map']


def test_json_eval_without_a_results_file_says_how_to_make_it(tmp_path, at_root, capsys):
    from ppdet.cli.eval import main
    config = _bccd_coco_config(tmp_path)
    assert run_tool_in_process(main, ['-c', config, '--json_eval', '--output_eval',
                                      str(tmp_path / 'none')]) == 2
    err = capsys.readouterr().err
    assert 'bbox.json does not exist' in err and '--save_prediction_only' in err


def test_amp_on_eval(trained, tmp_path, at_root, capsys):
    """PaddleDetection's `tools/eval.py --amp`: mixed precision on a GPU; on the CPU (as the
    TINY options ask, use_gpu=false) a note, then float32."""
    from ppdet.cli.eval import main
    code = run_tool_in_process(main, ['-c', CONFIGS['ssd'], '--amp', '--output_eval',
                                      str(tmp_path / 'e')]
                               + opts(f'weights={trained("ssd") / "model_final"}'))
    assert code == 0
    assert '--amp needs a GPU; this evaluation runs in float32 on the CPU' in \
        capsys.readouterr().out
    assert (tmp_path / 'e' / 'eval_results.json').is_file()
