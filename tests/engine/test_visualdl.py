"""`--use_vdl=true` / `use_vdl: true` write real VisualDL logs (each loss term, the LR, the mAP
per evaluation) into the VisualDL folder; without the visualdl package the run stops first,
saying how to install it."""
from __future__ import annotations

import os
import sys

from ppdet.core.cli import run_tool
from tests.engine.conftest import CONFIGS, opts

TINY_EVAL = ['log_iter=1', 'snapshot_epoch=1', 'epoch=2', 'TrainDataset.sample_num=4',
             'max_iters=']


def _scalars(log_dir: str):
    from visualdl import LogReader
    files = [f for f in os.listdir(log_dir) if f.startswith('vdlrecords')]
    assert len(files) == 1, files
    reader = LogReader(file_path=os.path.join(log_dir, files[0]))
    tags = reader.get_tags()['scalar']
    return {t: [(r.id, r.value) for r in reader.get_data('scalar', t)] for t in tags}


def test_use_vdl_flag_writes_losses_lr_and_map(tmp_path, at_root):
    from ppdet.cli.train import main
    vdl = tmp_path / 'vdl'
    code = run_tool(main, ['-c', CONFIGS['yolov3'], '--eval', '--use_vdl=true', '--vdl_log_dir',
                           str(vdl), '--output_dir', str(tmp_path / 'run')]
                    + opts(*TINY_EVAL))
    assert code == 0
    scalars = _scalars(str(vdl))
    for term in ('loss', 'loss_xy', 'loss_wh', 'loss_obj', 'loss_cls'):
        assert [step for step, _ in scalars[f'train/{term}']] == [1, 2, 3, 4], term
    assert len(scalars['train/lr']) == 4 and 'train/ips' in scalars
    maps = scalars['eval/VOC']
    assert [step for step, _ in maps] == [2, 4]
    assert all(0.0 <= v <= 1.0 for _, v in maps)


def test_use_vdl_in_the_config(tmp_path, at_root):
    from ppdet.cli.train import main
    code = run_tool(main, ['-c', CONFIGS['ssd'], '--output_dir', str(tmp_path / 'run')]
                    + opts('use_vdl=true', f'vdl_log_dir={tmp_path / "logs"}'))
    assert code == 0
    assert 'train/loss' in _scalars(str(tmp_path / 'logs'))


def test_without_visualdl_the_run_stops_with_the_install_line(tmp_path, monkeypatch, at_root,
                                                               capsys):
    from ppdet.cli.train import main
    monkeypatch.setitem(sys.modules, 'visualdl', None)   # `import visualdl` -> ImportError
    run = tmp_path / 'run'
    code = run_tool(main, ['-c', CONFIGS['ssd'], '--use_vdl', '--output_dir', str(run)] + opts())
    assert code == 2
    err = capsys.readouterr().err
    assert 'visualdl package is not installed: pip install visualdl' in err
    assert not (run / 'metrics.jsonl').exists()
    code = run_tool(main, ['-c', CONFIGS['ssd'], '--use_vdl=false', '--dry-run'] + opts())
    assert code == 0                                       # the remedy: without --use_vdl
