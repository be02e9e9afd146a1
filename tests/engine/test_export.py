"""tools/export_model.py: a static model that, loaded back with paddle.jit.load or run by
paddle.inference, gives the same boxes as the dynamic model on a real image."""
from __future__ import annotations

import os

import numpy as np
import pytest
import yaml

from tests.engine.conftest import BCCD_NAMES, CONFIGS, ROOT, TINY, opts

SIZES = {'ssd': 300, 'yolov3': 320}
IMAGE = str(ROOT / 'dataset' / 'bccd' / 'JPEGImages' / 'BloodImage_00000.jpg')


def _export(trained, family, tmp_path, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.engine.cli_export import main
    weights = trained(family) / 'model_final'
    code = run_in_process(main, ['-c', CONFIGS[family]] + opts(f'weights={weights}')
                          + ['--output_dir', str(tmp_path / 'inference')])
    out = capsys.readouterr()
    assert code == 0, out.err[-3000:]
    assert 'reloaded and checked: same boxes' in out.out
    stem = os.path.splitext(os.path.basename(CONFIGS[family]))[0]
    return tmp_path / 'inference' / stem, weights


def _dynamic_model_and_input(family, weights):
    """The trained dynamic model and one BCCD image through the TestReader's transforms."""
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.engine.trained_weights import load_trained_weights, read_trained_weights
    from ppdet.engine.trainer import Trainer
    cfg = merge_config(load_config(str(ROOT / CONFIGS[family]), validate=False),
                       TINY + [f'weights={weights}'])
    trainer = Trainer(cfg, 'test', log=lambda *_: None)
    load_trained_weights(trainer, read_trained_weights(str(weights)))
    trainer.model.eval()
    batch = trainer.reader.pipeline.batch([{'im_file': IMAGE, 'im_id': 0}], [0], 0, 0, 0)
    return trainer.model, batch


def _feeds(batch):
    return [batch['image'].astype('float32'), batch['im_shape'].astype('float32'),
            batch['scale_factor'].astype('float32')]


@pytest.mark.parametrize('family', ['ssd', 'yolov3'])
def test_export_reloads_with_the_same_boxes(trained, tmp_path, at_root, capsys, family):
    import paddle
    from ppdet.engine.batch import to_model_inputs
    directory, weights = _export(trained, family, tmp_path, capsys)
    info = yaml.safe_load((directory / 'infer_cfg.yml').read_text())
    size = SIZES[family]
    assert info['label_list'] == BCCD_NAMES and info['metric'] == 'VOC'
    assert info['arch'] == info['architecture'] == ('SSD' if family == 'ssd' else 'YOLOv3')
    assert info['inputs']['image'] == [-1, 3, size, size] and not info['use_dynamic_shape']
    resize = info['Preprocess'][0]
    assert resize['type'] == 'Resize' and resize['target_size'] == [size, size]
    assert resize['keep_ratio'] is False
    assert [op['type'] for op in info['Preprocess']] == ['Resize', 'NormalizeImage', 'Permute']

    model, batch = _dynamic_model_and_input(family, weights)
    with paddle.no_grad():
        expected = model(to_model_inputs(batch))
    exp_box, exp_num = expected['bbox'].numpy(), expected['bbox_num'].numpy()
    assert exp_box.shape[0] > 0 and batch['image'].shape == (1, 3, size, size)
    loaded = paddle.jit.load(str(directory / 'model'))
    loaded.eval()
    with paddle.no_grad():
        got_box, got_num = loaded(*[paddle.to_tensor(a) for a in _feeds(batch)])
    np.testing.assert_array_equal(got_num.numpy(), exp_num)
    np.testing.assert_allclose(got_box.numpy(), exp_box, rtol=1e-4, atol=1e-4)


def test_exported_model_runs_in_paddle_inference(trained, tmp_path, at_root, capsys):
    import paddle
    import paddle.inference as pi
    from ppdet.engine.batch import to_model_inputs
    directory, weights = _export(trained, 'ssd', tmp_path, capsys)
    program = next(str(directory / f) for f in ('model.json', 'model.pdmodel')
                   if (directory / f).is_file())
    config = pi.Config(program, str(directory / 'model.pdiparams'))
    config.disable_gpu()
    config.set_cpu_math_library_num_threads(1)
    predictor = pi.create_predictor(config)
    model, batch = _dynamic_model_and_input('ssd', weights)
    feeds = dict(zip(['image', 'im_shape', 'scale_factor'], _feeds(batch)))
    assert sorted(predictor.get_input_names()) == sorted(feeds)
    for name in predictor.get_input_names():
        predictor.get_input_handle(name).copy_from_cpu(feeds[name])
    predictor.run()
    box, num = [predictor.get_output_handle(n).copy_to_cpu()
                for n in predictor.get_output_names()]
    with paddle.no_grad():
        expected = model(to_model_inputs(batch))
    np.testing.assert_array_equal(num, expected['bbox_num'].numpy())
    np.testing.assert_allclose(box, expected['bbox'].numpy(), rtol=1e-4, atol=1e-4)


def test_export_refuses_options_it_cannot_honour(trained, tmp_path, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.engine.cli_export import main
    code = run_in_process(main, ['-c', CONFIGS['ssd']]
                          + opts(f'weights={trained("ssd") / "model_final"}', 'export.nms=false')
                          + ['--output_dir', str(tmp_path / 'inference')])
    assert code == 2
    assert 'nms: false' in capsys.readouterr().err
    assert not (tmp_path / 'inference').exists()
