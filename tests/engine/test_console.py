"""A quiet, honest console: no Paddle thread warning caused by the tools, no notes from our own
configs (a PaddleDetection config's once each), one line for a GPU that is not there, the
first error first, the ETA of a resumed run, nothing changed by importing or constructing."""
from __future__ import annotations

import argparse
import os
import sys
import textwrap

import numpy as np
import pytest

from ppdet.core.cli import run_tool
from tests.engine.conftest import CONFIGS, ROOT
from tests.helpers.proc import run as run_child

SHIPPED = sorted(str(p.relative_to(ROOT)) for p in (ROOT / 'configs').rglob('*.yml')
                 if '_base_' not in p.parts)


def _args(config: str, *items: str) -> argparse.Namespace:
    return argparse.Namespace(config=config, opt=[list(items)] if items else [])


@pytest.mark.parametrize('config', SHIPPED)
def test_shipped_configs_print_no_notes(config, at_root):
    from ppdet.cli.common import config_notes, load_tool_config
    assert config_notes(load_tool_config(_args(config))) == []


def test_paddledetection_config_notes_once_each(shared_dir, at_root):
    from ppdet.cli.common import config_notes, load_tool_config
    path = os.path.join(shared_dir, 'reference', 'ppdet26_configs', 'configs', 'yolov3',
                        'yolov3_mobilenet_v1_270e_coco.yml')
    notes = config_notes(load_tool_config(_args(path)))
    keys = [n.split()[1] for n in notes]
    assert {'use_xpu', 'use_mlu', 'use_npu', 'print_flops', 'print_params'} <= set(keys)
    assert len(keys) == len(set(keys))
    assert all('runtime.yml' in n and 'accepted but unused' in n for n in notes)


def test_train_acts_on_use_vdl_so_it_is_no_note(at_root):
    from ppdet.cli.common import config_notes, load_tool_config
    cfg = load_tool_config(_args(CONFIGS['ssd'], 'use_vdl=true', 'vdl_log_dir=x'))
    assert [n for n in config_notes(cfg) if 'use_vdl' in n]          # other tools: a note
    assert config_notes(cfg, acted_on=('use_vdl', 'vdl_log_dir')) == []


def test_use_gpu_without_a_gpu_says_so_once(at_root):
    import paddle
    from ppdet.cli.common import choose_device, load_tool_config
    lines = []
    device = choose_device(load_tool_config(_args(CONFIGS['ssd'], 'use_gpu=true')), lines.append)
    if paddle.device.is_compiled_with_cuda() and paddle.device.cuda.device_count() > 0:
        assert device.startswith('gpu') and lines == []
    else:
        assert device == 'cpu'
        assert len(lines) == 1 and 'use_gpu: true' in lines[0] and 'on the CPU' in lines[0]
    lines.clear()
    choose_device(load_tool_config(_args(CONFIGS['ssd'], 'use_gpu=false')), lines.append)
    assert lines == []


PPYOLOE_LIKE = """\
architecture: PPYOLOE
norm_type: sync_bn
use_ema: true
ema_decay: 0.9998
PPYOLOE:
  backbone: CSPResNet
  neck: CustomCSPPAN
  yolo_head: PPYOLOEHead
  post_process: ~
CSPResNet:
  layers: [3, 6, 6, 3]
  channels: [64, 128, 256, 512, 1024]
  return_idx: [1, 2, 3]
  use_large_stem: True
CustomCSPPAN:
  out_channels: [768, 384, 192]
  stage_num: 1
PPYOLOEHead:
  fpn_strides: [32, 16, 8]
  static_assigner: ATSSAssigner
  assigner: TaskAlignedAssigner
  nms:
    name: MultiClassNMS
    nms_top_k: 1000
"""


def test_unknown_family_is_the_first_line(tmp_path, at_root, capsys):
    from ppdet.cli.train import main
    cfg = tmp_path / 'ppyoloe_crn_l_300e_coco.yml'
    cfg.write_text(f'_BASE_: [{ROOT}/configs/datasets/bccd_voc.yml]\n' + PPYOLOE_LIKE)
    assert run_tool(main, ['-c', str(cfg), '--dry-run']) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == ("error: architecture 'PPYOLOE' is not available here; available: "
                      "CascadeRCNN, FasterRCNN, MaskRCNN, RetinaNet, SSD, YOLOv3")
    assert 'unknown top-level key' not in '\n'.join(err)


def test_missing_dataset_dir_names_the_folder_and_the_remedy_works(tmp_path, at_root, capsys):
    from ppdet.cli.train import main
    argv = ['-c', CONFIGS['ssd'], '--dry-run', '-o', 'pretrain_weights=', 'use_gpu=false',
            'TrainDataset.dataset_dir=data/bccd']
    assert run_tool(main, argv) == 2
    err = capsys.readouterr().err
    assert 'TrainDataset.dataset_dir data/bccd: the folder does not exist' in err
    assert 'label' not in err
    assert '-o TrainDataset.dataset_dir=path/to/data' in err
    assert run_tool(main, argv + ['TrainDataset.dataset_dir=dataset/bccd']) == 0   # the remedy
    assert 'dry run: SSD' in capsys.readouterr().out


def test_trainer_leaves_the_global_random_state_and_seeds_its_weights(at_root):
    import paddle
    from ppdet.cli.common import load_tool_config
    from ppdet.engine.trainer import Trainer
    cfg = load_tool_config(_args(CONFIGS['ssd'], 'pretrain_weights=', 'seed=5',
                                 'MobileNet.scale=0.25'))
    paddle.seed(123)
    expected = paddle.rand([4]).numpy()
    paddle.seed(123)
    first = Trainer(cfg, 'test', log=lambda *_: None)
    assert np.array_equal(paddle.rand([4]).numpy(), expected)
    second = Trainer(cfg, 'test', log=lambda *_: None)
    a, b = first.model.state_dict(), second.model.state_dict()
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)


def test_eta_after_resume_counts_this_process_only():
    from ppdet.engine.callbacks import TrainLog
    from ppdet.engine.loop import StepStats, TrainRun
    from ppdet.engine.records import RunRecord
    now = [1000.0]
    run = TrainRun('unused', '', epochs=2, steps_per_epoch=100, total_steps=200,
                   start_step=100, optimizer=None, lr=None, log_iter=10, step=100,
                   started=1000.0)
    lines = []
    log = TrainLog(RunRecord('unused', enabled=False), lines.append, clock=lambda: now[0])
    for _ in range(10):       # 10 steps of 2 s after resuming at step 100 of 200
        now[0] += 2.0
        run.step += 1
        log.on_step(run, StepStats({'loss': 1.5, 'loss_xy': 0.5}, 1e-3, 8, 2.0, 0.1))
    assert len(lines) == 1
    line = lines[0]
    assert 'iter 110/200' in line and 'eta 0:03:00' in line     # 90 steps x 2 s
    assert 'loss_xy 0.5000' in line and 'loss 1.5000' in line
    assert 'batch_cost 2.000 s' in line and 'data_cost 0.100 s' in line
    assert 'ips 4.00 images/s' in line


def _clean_env() -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ('OMP_NUM_THREADS', 'PYTHONWARNINGS')}
    env['PYTHONPATH'] = str(ROOT)
    return env


def test_tools_cause_no_thread_or_ccache_warning():
    proc = run_child([sys.executable, 'tools/train.py', '-c', CONFIGS['yolov3'],
                      '--dry-run', '-o', 'pretrain_weights=', 'worker_num=0'],
                     cwd=ROOT, env=_clean_env(),
                     timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines()[0].startswith('CPU threads: ')
    assert 'OMP_NUM_THREADS set to' not in proc.stderr
    assert 'PLEASE USE OMP_NUM_THREADS WISELY' not in proc.stderr
    assert 'No ccache found' not in proc.stderr
    assert 'note:' not in proc.stdout.replace('note: use_gpu: true', '')


def test_importing_a_tool_prints_and_sets_nothing():
    code = textwrap.dedent("""
        import importlib.util, os, sys
        before = dict(os.environ)
        spec = importlib.util.spec_from_file_location('train_tool', 'tools/train.py')
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
        assert dict(os.environ) == before
        assert 'paddle' not in sys.modules
    """)
    proc = run_child([sys.executable, '-c', code], cwd=ROOT, env=_clean_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == '' and proc.stderr == ''
