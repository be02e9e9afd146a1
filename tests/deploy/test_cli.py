"""deploy/python/infer.py and export --onnx at the command line: PaddleDetection's flag forms,
one-line errors for bad folders and unsupported flags, and for absent optional packages."""
from __future__ import annotations

import os
import sys

import pytest
import yaml

from tests.engine.conftest import ROOT
from tests.helpers.proc import run as run_child

IMAGE = str(ROOT / 'dataset' / 'bccd' / 'JPEGImages' / 'BloodImage_00000.jpg')


@pytest.mark.parametrize('argv,expected', [
    (['--run_benchmark'], True), (['--run_benchmark=True'], True),
    (['--run_benchmark', 'True'], True), (['--run_benchmark=false'], False),
    (['--run_benchmark', '0'], False), ([], False)])
def test_boolean_flags_take_paddledetection_forms(argv, expected):
    from ppdet.deploy.cli import build_parser
    args = build_parser().parse_args(['--model_dir', 'm'] + argv)
    assert args.run_benchmark is expected and args.enable_mkldnn is None


def _run(argv, capsys):
    from ppdet.core.cli import run_tool
    from ppdet.deploy.cli import main
    code = run_tool(main, argv)
    return code, capsys.readouterr().err.strip()


def test_unsupported_and_bad_arguments_are_one_line_errors(tmp_path, capsys):
    code, err = _run(['--model_dir', str(tmp_path), '--video_file', 'a.mp4'], capsys)
    assert code == 2 and err == ('error: --video_file: video input is not supported; extract '
                                 'frames and use --image_dir')
    code, err = _run(['--model_dir', str(tmp_path), '--image_file', IMAGE, '--bogus'], capsys)
    assert code == 2 and 'unknown argument(s) --bogus' in err
    code, err = _run(['--model_dir', str(tmp_path), '--image_file', IMAGE,
                      '--run_mode', 'trt_fp16'], capsys)
    assert code == 2 and 'only paddle is supported here' in err
    code, err = _run(['--model_dir', str(tmp_path)], capsys)
    assert code == 2 and 'give --image_file a.jpg or --image_dir folder' in err
    code, err = _run(['--model_dir', str(tmp_path / 'none'), '--image_file', IMAGE], capsys)
    assert code == 2 and 'no such folder' in err and 'tools/export_model.py' in err
    code, err = _run(['--model_dir', str(tmp_path), '--image_file', IMAGE], capsys)
    assert code == 2 and 'infer_cfg.yml not found' in err
    assert len(err.splitlines()) == 1


def _folder(tmp_path, **changes):
    doc = {'arch': 'SSD', 'label_list': ['a', 'b'],
           'Preprocess': [{'type': 'Resize', 'target_size': [32, 32], 'keep_ratio': False},
                          {'type': 'Permute'}]}
    doc.update(changes)
    (tmp_path / 'infer_cfg.yml').write_text(yaml.safe_dump(doc))
    return tmp_path


def test_infer_cfg_problems_name_the_key(tmp_path, capsys):
    code, err = _run(['--model_dir', str(_folder(tmp_path, Preprocess=[{'type': 'RandomFlip'}])),
                      '--image_file', IMAGE], capsys)
    assert code == 2 and "Preprocess[0] type 'RandomFlip' is not supported" in err
    code, err = _run(['--model_dir', str(_folder(tmp_path, label_list=None)),
                      '--image_file', IMAGE], capsys)
    assert code == 2 and 'label_list must be the list of class names' in err
    code, err = _run(['--model_dir', str(_folder(tmp_path, batch_size=0)),
                      '--image_file', IMAGE], capsys)
    assert code == 2 and 'batch_size must be a whole number of images, 1 or more' in err
    code, err = _run(['--model_dir', str(_folder(tmp_path)), '--image_file', IMAGE], capsys)
    assert code == 2 and 'has no Paddle program' in err
    code, err = _run(['--model_dir', str(_folder(tmp_path)), '--image_file', IMAGE,
                      '--runtime', 'onnx'], capsys)
    assert code == 2 and 'has no model.onnx' in err and '--onnx' in err


def test_preprocessing_equals_the_test_reader(tmp_path):
    """infer_cfg's Preprocess, built here, feeds exactly what tools/infer.py's reader does."""
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.deploy.preprocess import Preprocessor, build_preprocess
    from ppdet.engine.export import preprocess_ops
    from ppdet.engine.trainer import Trainer
    import numpy as np
    old = os.getcwd()
    os.chdir(ROOT)
    try:
        cfg = merge_config(load_config('configs/yolov3/yolov3_mobilenet_v1_bccd.yml',
                                       validate=False), ['pretrain_weights=', 'use_gpu=false'])
        trainer = Trainer(cfg, 'test', log=lambda *_: None)
        batch = trainer.reader.pipeline.batch([{'im_file': IMAGE, 'im_id': 0}], [0], 0, 0, 0)
        ops = preprocess_ops(cfg, trainer.reader)
    finally:
        os.chdir(old)
    feeds = Preprocessor(build_preprocess(ops, 'infer_cfg.yml'))([IMAGE])
    for key in ('image', 'im_shape', 'scale_factor'):
        np.testing.assert_array_equal(feeds[key], batch[key].astype('float32'))


BLOCKED = '''
import sys
sys.path.insert(0, {root!r})
sys.modules[{module!r}] = None  # as if the package were not installed
from ppdet.core.cli import run_tool
from {tool} import main
sys.exit(run_tool(main, {argv!r}))
'''


@pytest.mark.parametrize('module,tool,argv,message', [
    ('onnxruntime', 'ppdet.deploy.cli', ['--runtime', 'onnx'],
     'error: onnxruntime is not installed; it is needed for running model.onnx (--runtime '
     'onnx): pip install onnxruntime'),
    ('paddle2onnx', 'ppdet.cli.export_model', ['--onnx'],
     'error: paddle2onnx is not installed; it is needed for writing model.onnx '
     '(tools/export_model.py --onnx): pip install paddle2onnx')])
def test_absent_optional_package_is_a_one_line_message(tmp_path, module, tool, argv, message):
    if tool == 'ppdet.deploy.cli':
        folder = _folder(tmp_path, onnx={'nms': {
            'score_threshold': .01, 'nms_top_k': 10, 'keep_top_k': 5, 'nms_threshold': .45,
            'normalized': True, 'background_label': -1}})
        (folder / 'model.onnx').write_bytes(b'')
        argv = ['--model_dir', str(folder), '--image_file', IMAGE] + argv
    else:
        argv = ['-c', 'configs/ssd/ssd_mobilenet_v1_bccd.yml', '-o', 'weights=none'] + argv
    code = BLOCKED.format(root=str(ROOT), module=module, tool=tool, argv=argv)
    proc = run_child([sys.executable, '-c', code], cwd=ROOT, timeout=300,
                     env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stderr.strip().splitlines()[-1] == message
