"""Numerical parity with PaddleDetection 2.6 (../shared/reference/parity/ssd_*.npz): our SSD
models, built from our configs and given the recipe weights, reproduce every stored tensor.

Tolerances follow the fixture README: backbone maps are stored as float16 (2e-3 of max|ref|),
conv heads 1e-4 of max|ref|, decoded boxes 1e-3 of max|ref|, class ids and counts exactly.
"""
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppdet.core.workspace import create, load_config
from tests.helpers.recipe_weights import apply_recipe, state_dict_sha256
from tests.helpers.material import shared_path

ROOT = Path(__file__).resolve().parents[2]
RECIPE_SHA = {
    'ssd_mobilenet_v1_300_120e_voc':
        '1471d94d6cc6afe9f4fcf676d80000b0a671c2707a3ca5bb5b93e81f6f3de451',
    'ssd_vgg16_300_240e_voc': '650c5ed82de5f974cc6623b95ebea21b4d90e46f7e67bc3551b7d5a6b884969c',
}


def _rel_err(ours, ref) -> float:
    ref = np.asarray(ref, dtype='float32')
    assert tuple(ours.shape) == ref.shape
    return float(np.abs(np.asarray(ours, 'float32') - ref).max() / max(np.abs(ref).max(), 1e-12))


@pytest.fixture(scope='module', params=sorted(RECIPE_SHA))
def run(request):
    name = request.param
    path = shared_path('reference', 'parity', f'{name}.npz')
    paddle.set_device('cpu')
    cfg = load_config(str(ROOT / 'configs' / 'ssd' / f'{name}.yml'))
    model = create(cfg.architecture, cfg)
    values = apply_recipe(model)
    model.eval()
    ref = np.load(path)
    inputs = {k: paddle.to_tensor(ref[f'input.{k}']) for k in ('image', 'im_shape',
                                                               'scale_factor')}
    got = {}
    with paddle.no_grad():
        feats = model.backbone(inputs)
        got.update({f'backbone.{i}': f.numpy() for i, f in enumerate(feats)})
        _, raw = model.ssd_head.raw_outputs(feats)
        for i, (boxes, scores) in enumerate(raw):
            got[f'head.boxes.{i}'] = boxes.numpy()
            got[f'head.scores.{i}'] = scores.numpy()
        preds, priors = model.ssd_head(feats, inputs['image'])
        got.update({f'head.prior_boxes.{i}': p.numpy() for i, p in enumerate(priors)})
        boxes, _ = model.post_process.decode(preds, priors, inputs['im_shape'],
                                             inputs['scale_factor'])
        got['nms_in.boxes'] = boxes.numpy()
        out = model(inputs)
    got['out.bbox'] = out['bbox'].numpy()
    got['out.bbox_num'] = out['bbox_num'].numpy()
    return name, values, ref, got


def test_recipe_weights_match_the_generator(run):
    name, values, _, _ = run
    assert state_dict_sha256(values)[0] == RECIPE_SHA[name]


def test_backbone_maps(run):
    _, _, ref, got = run
    keys = [k for k in ref.files if k.startswith('backbone.')]
    assert len(keys) == 6
    for k in keys:
        assert _rel_err(got[k], ref[k]) < 2e-3, k


def test_head_maps_and_prior_boxes(run):
    _, _, ref, got = run
    for k in [k for k in ref.files if k.startswith('head.')]:
        tol = 1e-6 if 'prior_boxes' in k else 1e-4
        assert _rel_err(got[k], ref[k]) < tol, k


def test_decoded_boxes_and_detections(run):
    _, _, ref, got = run
    assert _rel_err(got['nms_in.boxes'], ref['nms_in.boxes']) < 1e-3
    np.testing.assert_array_equal(got['out.bbox_num'], ref['out.bbox_num'])
    ours, theirs = got['out.bbox'], ref['out.bbox']
    np.testing.assert_array_equal(ours[:, 0], theirs[:, 0])  # class ids, background last
    np.testing.assert_allclose(ours[:, 1], theirs[:, 1], atol=1e-5)
    assert np.abs(ours[:, 2:] - theirs[:, 2:]).max() < 0.1  # pixels
