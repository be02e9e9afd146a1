"""tools/export_model.py: a static model (and, with --onnx, an ONNX model) that gives the same
detections as the dynamic model: reloaded with paddle.jit.load, through Paddle Inference and
through ONNX Runtime via deploy/python/infer.py, compared with tools/infer.py's output."""
from __future__ import annotations

import json
import os
import shutil
import sys

import numpy as np
import pytest
import yaml

from tests.engine.conftest import BCCD_NAMES, CONFIGS, ROOT, TINY, opts, run_tool
from tests.helpers.proc import run as run_child

# family (key in CONFIGS) -> (architecture, exported input size or None for keep-ratio
# resizing (any size, one image per call), whether paddle2onnx can convert it)
FAMILIES = {'ssd': ('SSD', 300, True), 'yolov3': ('YOLOv3', 320, True),
            'faster_rcnn_fpn': ('FasterRCNN', None, False),
            'faster_rcnn_c4': ('FasterRCNN', None, False),
            'retinanet': ('RetinaNet', None, True)}
RUNS = [(family, runtime) for family in sorted(FAMILIES) for runtime in ('paddle', 'onnx')
        if runtime == 'paddle' or FAMILIES[family][2]]
IMAGES = ['BloodImage_00000.jpg', 'BloodImage_00001.jpg']
IMAGE = str(ROOT / 'dataset' / 'bccd' / 'JPEGImages' / IMAGES[0])
SCORE_TOL, BOX_TOL = 1e-3, 0.5  # the bound: scores within 1e-3, boxes within 0.5 px


class Exported:
    """family -> exported folder (Paddle program + model.onnx), exported once per module."""

    def __init__(self, trained, base) -> None:
        self.trained, self.base, self.dirs, self.stdout = trained, base, {}, {}

    def __call__(self, family: str):
        if family not in self.dirs:
            weights = self.trained(family) / 'model_final'
            onnx = ['--onnx'] if FAMILIES[family][2] else []
            proc = run_tool('export_model', ['-c', CONFIGS[family]] + opts(f'weights={weights}')
                            + ['--output_dir', str(self.base / family)] + onnx, timeout=400)
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
            stem = os.path.splitext(os.path.basename(CONFIGS[family]))[0]
            self.dirs[family] = self.base / family / stem
            self.stdout[family] = proc.stdout
        return self.dirs[family]


@pytest.fixture(scope='module')
def exported(trained, tmp_path_factory):
    return Exported(trained, tmp_path_factory.mktemp('exported'))


@pytest.fixture(scope='module')
def image_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp('images')
    for name in IMAGES:
        shutil.copy(ROOT / 'dataset' / 'bccd' / 'JPEGImages' / name, folder / name)
    return folder


@pytest.fixture(scope='module')
def infer_reference(trained, image_dir, tmp_path_factory):
    """family -> detections.json of tools/infer.py (threshold 0: every NMS output)."""
    docs = {}

    def get(family):
        if family not in docs:
            out = tmp_path_factory.mktemp(f'infer_{family}')
            proc = run_tool('infer', ['-c', CONFIGS[family]]
                            + opts(f'weights={trained(family) / "model_final"}')
                            + ['--infer_dir', str(image_dir), '--output_dir', str(out),
                               '--draw_threshold', '0'])
            assert proc.returncode == 0, proc.stderr[-3000:]
            docs[family] = json.loads((out / 'detections.json').read_text())
        return docs[family]
    return get


def _dynamic_model_and_input(family, weights, image=IMAGE):
    """The trained dynamic model and one BCCD image through the TestReader's transforms."""
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.engine.trained_weights import load_trained_weights, read_trained_weights
    from ppdet.engine.trainer import Trainer
    cfg = merge_config(load_config(str(ROOT / CONFIGS[family]), validate=False),
                       TINY + [f'weights={weights}'])
    trainer = Trainer(cfg, 'test', log=lambda *_: None)
    load_trained_weights(trainer, read_trained_weights(str(weights)))
    trainer.model.eval()
    batch = trainer.reader.pipeline.batch([{'im_file': image, 'im_id': 0}], [0], 0, 0, 0)
    return trainer.model, batch


@pytest.fixture(scope='module')
def candidates_cache():
    return {}


class _RcnnCandidates(Exception):
    """Ends an R-CNN forward pass at its NMS with the per-class boxes and scores."""

    def __init__(self, bboxes, scores, background_label=-1):
        super().__init__('nms reached')
        self.boxes, self.scores = bboxes[0].numpy(), scores.numpy()

    @classmethod
    def stop(cls, bboxes, scores, background_label=-1):
        raise cls(bboxes, scores)


def _rcnn_candidates(model, batch, score_threshold):
    """Rows (class, score, box in original pixels, clipped as get_pred clips) of every
    per-class box the R-CNN scores above the threshold before NMS (one image)."""
    import paddle
    from ppdet.engine.batch import to_model_inputs
    post = model.bbox_post_process
    original, post.nms = post.nms, _RcnnCandidates.stop
    try:
        with paddle.no_grad():
            model(to_model_inputs(batch))
        raise AssertionError('the R-CNN returned without reaching its NMS')
    except _RcnnCandidates as stop:
        boxes, scores = stop.boxes, stop.scores                     # [R, C, 4], [R, C]
    finally:
        post.nms = original
    sy, sx = batch['scale_factor'][0]
    h, w = np.floor(batch['im_shape'][0] / batch['scale_factor'][0] + 0.5)
    boxes = np.clip(boxes / np.array([sx, sy, sx, sy], 'float32'), 0, [w, h, w, h])
    roi, cls = np.nonzero(scores > score_threshold)
    return np.concatenate([cls[:, None], scores[roi, cls][:, None], boxes[roi, cls]], axis=1)


def _candidates(cache, trained, family, image_dir, nms):
    """{image name: every detection the dynamic model scores before NMS}, for the NMS-flip
    check of ppdet.deploy.compare (a flipped decision reports another real candidate)."""
    import paddle
    from ppdet.deploy.compare import candidate_rows
    from ppdet.deploy.onnx_export import NmsFreeDetector
    if family not in cache:
        cache[family] = {}
        for name in IMAGES:
            model, batch = _dynamic_model_and_input(family, trained(family) / 'model_final',
                                                    str(image_dir / name))
            if FAMILIES[family][0] == 'FasterRCNN':
                cache[family][name] = _rcnn_candidates(model, batch, nms['score_threshold'])
                continue
            with paddle.no_grad():
                boxes, scores = NmsFreeDetector(model)(*[paddle.to_tensor(a)
                                                         for a in _feeds(batch)])
            cache[family][name] = candidate_rows(boxes.numpy()[0], scores.numpy()[0],
                                                 nms['score_threshold'],
                                                 nms['background_label'])
    return cache[family]


def _nms_settings(family):
    """The NMS settings of the family's config (what tools/infer.py and the program use)."""
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.deploy.onnx_export import nms_settings_of
    from ppdet.engine.builders import build_model
    cfg = merge_config(load_config(str(ROOT / CONFIGS[family]), validate=False), TINY)
    return nms_settings_of(build_model(cfg))


def _feeds(batch):
    return [batch['image'].astype('float32'), batch['im_shape'].astype('float32'),
            batch['scale_factor'].astype('float32')]


def _check_infer_cfg(info, family):
    arch, size, onnx = FAMILIES[family]
    assert info['label_list'] == BCCD_NAMES and info['metric'] == 'VOC'
    assert info['arch'] == info['architecture'] == arch
    assert ('onnx' in info) is onnx
    resize = info['Preprocess'][0]
    assert resize['type'] == 'Resize'
    if size is not None:
        assert info['inputs']['image'] == [-1, 3, size, size] and not info['use_dynamic_shape']
        assert resize['target_size'] == [size, size] and resize['keep_ratio'] is False
        assert [op['type'] for op in info['Preprocess']] == ['Resize', 'NormalizeImage',
                                                             'Permute']
        return
    # keep-ratio resizing to the test configs' [192, 320], padded per batch: one image a call
    assert info['inputs']['image'] == [1, 3, -1, -1] and info['use_dynamic_shape']
    assert info['batch_size'] == 1
    assert resize['target_size'] == [192, 320] and resize['keep_ratio'] is True
    assert [op['type'] for op in info['Preprocess']] == ['Resize', 'NormalizeImage', 'Permute',
                                                         'PadBatch']
    stride = -1 if family == 'faster_rcnn_c4' else 32  # as the shipped readers
    assert info['Preprocess'][-1]['pad_to_stride'] == stride


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_export_reloads_with_the_same_boxes(exported, trained, at_root, family):
    """The saved program, reloaded, gives the dynamic model's rows on a real BCCD image (same
    kernels: only summation order may differ, far below 1e-4)."""
    import paddle
    from ppdet.engine.batch import to_model_inputs
    directory = exported(family)
    assert 'reloaded and checked: same boxes' in exported.stdout[family]
    info = yaml.safe_load((directory / 'infer_cfg.yml').read_text())
    _check_infer_cfg(info, family)
    if FAMILIES[family][2]:
        assert 'ONNX Runtime checked: same boxes and scores before NMS' in \
            exported.stdout[family]
        assert info['onnx']['file'] == 'model.onnx' and (directory / 'model.onnx').is_file()
    else:
        assert not (directory / 'model.onnx').exists()

    model, batch = _dynamic_model_and_input(family, trained(family) / 'model_final')
    with paddle.no_grad():
        expected = model(to_model_inputs(batch))
    exp_box, exp_num = expected['bbox'].numpy(), expected['bbox_num'].numpy()
    assert (exp_box[:, 0] >= 0).any()  # real detections, not only placeholder rows
    size = FAMILIES[family][1]
    if size is not None:
        assert batch['image'].shape == (1, 3, size, size)
    loaded = paddle.jit.load(str(directory / 'model'))
    loaded.eval()
    feeds = dict(zip(('image', 'im_shape', 'scale_factor'), _feeds(batch)))
    with paddle.no_grad():
        got_box, got_num = loaded(*[paddle.to_tensor(feeds[n]) for n in info['inputs']])
    np.testing.assert_array_equal(got_num.numpy(), exp_num)
    np.testing.assert_allclose(got_box.numpy(), exp_box, rtol=1e-4, atol=1e-4)


def _deploy(directory, image_dir, out, *flags):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.deploy.cli import main
    code = run_in_process(main, ['--model_dir', str(directory), '--image_dir', str(image_dir),
                                 '--output_dir', str(out), '--threshold', '0'] + list(flags))
    assert code == 0
    return json.loads((out / 'detections.json').read_text())


@pytest.mark.parametrize('family,runtime', RUNS)
def test_deployed_model_detects_as_tools_infer(exported, infer_reference, image_dir, tmp_path,
                                               capsys, trained, candidates_cache, at_root,
                                               family, runtime):
    from ppdet.deploy.compare import compare_image, detections_by_image
    directory = exported(family)
    one_at_a_time = FAMILIES[family][1] is None
    flags = ['--batch_size', '2'] if one_at_a_time else []  # more than the program takes
    doc = _deploy(directory, image_dir, tmp_path / 'out', '--runtime', runtime, *flags)
    out = capsys.readouterr().out
    assert ('ONNX Runtime' if runtime == 'onnx' else 'Paddle Inference') in out
    if one_at_a_time:
        assert 'note: --batch_size 2: this model takes 1 image(s) per run' in out
    reference = infer_reference(family)
    assert doc['class_names'] == reference['class_names'] == BCCD_NAMES
    assert doc['counts'] == reference['counts']
    nms = _nms_settings(family)
    expected, got = detections_by_image(reference), detections_by_image(doc)
    assert sorted(got) == sorted(expected) == IMAGES
    candidates = _candidates(candidates_cache, trained, family, image_dir, nms)
    for name in IMAGES:
        result = compare_image(expected[name], got[name], score_tol=SCORE_TOL, box_tol=BOX_TOL,
                               nms_threshold=nms['nms_threshold'],
                               keep_top_k=nms['keep_top_k'], floor=nms['score_threshold'],
                               candidates=candidates[name])
        assert not result.unexplained, (name, result.unexplained[:5], result.explained[:5])
        assert result.paired > 0 and result.max_score_diff <= SCORE_TOL
        assert result.max_box_diff <= BOX_TOL


def test_onednn_is_used_where_it_is_safe_and_refused_where_paddle_crashes(exported, image_dir,
                                                                          tmp_path):
    """SSD runs with oneDNN by default; YOLOv3 (leaky_relu, interpolate) asked for it runs
    without, says why, and does not crash (in a child process, so a crash would show)."""
    env = dict(os.environ, OMP_NUM_THREADS='1')
    runs = {}
    for family, flags in (('ssd', []), ('yolov3', ['--enable_mkldnn=True'])):
        runs[family] = run_child(
            [sys.executable, str(ROOT / 'deploy' / 'python' / 'infer.py'), '--model_dir',
             str(exported(family)), '--image_file', str(image_dir / IMAGES[0]),
             '--output_dir', str(tmp_path / family), '--run_benchmark', 'True'] + flags,
            cwd=ROOT, env=env, timeout=300)
        assert runs[family].returncode == 0, runs[family].stderr[-3000:]
        assert 'ms/image' in runs[family].stdout
    assert 'Paddle Inference on CPU with oneDNN' in runs['ssd'].stdout
    assert 'oneDNN stays off for this model: it holds leaky_relu' in runs['yolov3'].stdout
    assert 'Paddle Inference on CPU;' in runs['yolov3'].stdout


def test_export_refuses_options_it_cannot_honour(trained, tmp_path, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.export_model import main
    code = run_in_process(main, ['-c', CONFIGS['ssd']]
                          + opts(f'weights={trained("ssd") / "model_final"}', 'export.nms=false')
                          + ['--output_dir', str(tmp_path / 'inference')])
    assert code == 2
    assert 'nms: false' in capsys.readouterr().err
    assert not (tmp_path / 'inference').exists()


@pytest.mark.parametrize('family,ops', [
    ('faster_rcnn_fpn', 'generate_proposals (the RPN\'s proposal op), distribute_fpn_proposals '
                        '(the FPN RoI-to-level op)'),
    ('faster_rcnn_c4', 'generate_proposals (the RPN\'s proposal op)')])
def test_onnx_export_of_an_rcnn_is_refused_in_one_line(trained, tmp_path, at_root, capsys,
                                                        family, ops):
    """paddle2onnx has no converter for these ops (ppdet/deploy/onnx_support.py): --onnx says
    so before anything is written; the remedy (no --onnx, Paddle Inference) is the export and
    deployment the other tests of the family run."""
    import paddle2onnx
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.export_model import main
    code = run_in_process(main, ['-c', CONFIGS[family]]
                          + opts(f'weights={trained(family) / "model_final"}')
                          + ['--output_dir', str(tmp_path / 'inference'), '--onnx'])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert err == (f'error: --onnx: FasterRCNN cannot be converted to ONNX: paddle2onnx '
                   f'{paddle2onnx.__version__} has no converter for {ops}; export without '
                   f'--onnx and deploy the Paddle model (deploy/python/infer.py runs it with '
                   f'Paddle Inference)')
    assert not (tmp_path / 'inference').exists()
