"""Numerical parity of Cascade R-CNN, Mask R-CNN (FPN and C4) and Cascade Mask R-CNN with
PaddleDetection 2.6: its own release/2.6 configs, the recipe weights, every stage's tensors.

Fixtures (`fixtures/<config>_256.npz`) are PaddleDetection 2.6.0's outputs (paddlepaddle
3.3.1, CPU) for BloodImage_00003 resized to 256x256 without keeping the ratio (bilinear,
ImageNet mean/std), the recipe weights (salt ''), and `RPNHead.test_proposal.post_nms_top_n:
50` to keep them small; `meta.json` in each says so. Stored: the input; the neck maps (C4:
the backbone map) as float16, levels 0/1 subsampled by 4/2; the RPN's raw outputs and
proposals; each box stage's logits and deltas; the decoded boxes and scores given to NMS; the
detections; the mask logits of each detection's class; the pasted masks (bit-packed). Each
fixture was checked stable: PaddleDetection's own detections moved by < 0.02 px and kept
their classes when every input element moved by one float32 ulp.

Tolerances as in test_rcnn_parity.py (float16 maps 2e-3 of max|ref|; conv outputs 1e-4;
after RoIAlign and decoding 1e-3 of max|ref| or 0.1 px, as row sets where a top-k may reorder
rows; classes and counts exactly). Masks: our paste is PaddleDetection's formula (tested in
test_mask_targets.py), so a pixel may differ only where PaddleDetection's pasted probability
lies within the change our logits and box can make of it. A bilinear mix of probabilities
moves by at most 1/4 (max|sigmoid'|) times the largest logit difference, plus, as adjacent
probabilities differ by at most 1, the shift of the sample point in mask cells: with M cells
over a box of width w, moving its edges by dx0, dx1 moves it by at most (M + 1)(dx0 + dx1)/w
cells (likewise in y).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppdet.core.workspace import create, load_config, merge_config
from ppdet.modeling.ops.mask_post_process import paste_probabilities
from tests.helpers.recipe_weights import apply_recipe, state_dict_sha256
from tests.modeling._yolo_helpers import SHARED
from tests.modeling.test_rcnn_parity import _rel, _rows_match, _Taps

CONFIGS = SHARED / 'reference' / 'ppdet26_configs' / 'configs'
FIXTURES = Path(__file__).parent / 'fixtures'
SHA = {  # recipe weights of PaddleDetection's models (its state dicts, salt '')
    'cascade_rcnn_r50_fpn_1x_coco':
        '15fa94076b15eda575dadf5ab2629d2c123ccb2912eaf1391838318a77c708da',
    'cascade_mask_rcnn_r50_fpn_1x_coco':
        'c5b99276958f92ff0336c0baf7542a42508d89dd649b70d59c3629a0f498c1d7',
    'mask_rcnn_r50_fpn_1x_coco':
        '0c74c507a6d87aa631d1febfc8b03021cf2ca277474ade7fec87823797a4c829',
    'mask_rcnn_r50_1x_coco': '14fb648481644c76d3f2fa64e986aafe661b14e939c5ddfb564d845aa9fe5a22',
}


def _model(ref):
    meta = json.loads(str(ref['meta.json']))
    cfg = load_config(str(CONFIGS / meta['config']))
    merge_config(cfg, [f"RPNHead.test_proposal.post_nms_top_n={meta['post_nms_top_n']}"])
    model = create(cfg.architecture, cfg)
    name = Path(meta['config']).stem
    assert state_dict_sha256(apply_recipe(model))[0] == SHA[name]
    model.eval()
    return model


def _stage_layers(model):
    head = model.bbox_head
    if hasattr(head, 'bbox_score_list'):
        layers = {}
        for k, (s, d) in enumerate(zip(head.bbox_score_list, head.bbox_delta_list)):
            layers[f'bbox_head.scores.{k}'], layers[f'bbox_head.deltas.{k}'] = s, d
        return layers
    return {'bbox_head.scores': head.bbox_score, 'bbox_head.deltas': head.bbox_delta}


def _run(model, ref):
    layers = {'backbone': model.backbone, 'rpn': model.rpn_head,
              'score': model.rpn_head.rpn_rois_score, 'delta': model.rpn_head.rpn_rois_delta}
    layers.update(_stage_layers(model))
    if model.neck is not None:
        layers['neck'] = model.neck
    if getattr(model, 'mask_head', None) is not None:
        layers['mask_logits'] = model.mask_head.mask_fcn_logits
    taps = _Taps(model, layers)
    taps.wrap(model.bbox_post_process, 'decode', 'decode')
    inputs = {k.split('.', 1)[1]: paddle.to_tensor(ref[k]) for k in ref.files
              if k.startswith('input.')}
    with paddle.no_grad():
        out = model(inputs)
    taps.close()
    return taps.seen, out


def _check_maps(seen, ref, problems):
    maps = seen['neck'][0] if 'neck' in seen else seen['backbone'][0]
    key = 'neck' if 'neck' in seen else 'backbone'
    for name in ref.files:
        if name.startswith(key + '.'):
            level, stride = int(name.split('.')[1]), int(name.rsplit('stride', 1)[1])
            if _rel(maps[level].numpy()[:, :, ::stride, ::stride], ref[name]) > 2e-3:
                problems.append(name)
    for i, (s, d) in enumerate(zip(seen['score'], seen['delta'])):
        if _rel(s.numpy(), ref[f'rpn.objectness.{i}']) > 1e-4 or \
                _rel(d.numpy(), ref[f'rpn.deltas.{i}']) > 1e-4:
            problems.append(f'rpn level {i}')


def _check_candidates(seen, ref, problems):
    """Proposals, every stage's outputs and the NMS input, as sets of rows."""
    rois, rois_num, _ = seen['rpn'][0]
    np.testing.assert_array_equal(rois_num.numpy(), ref['rpn.rois_num'])
    (boxes, _), scores = seen['decode'][0]
    keys = sorted(k for k in ref.files if k.startswith('bbox_head.'))
    ours = [rois[0].numpy()] + [seen[k][0].numpy() for k in keys] + \
        [boxes.numpy(), scores.numpy()]
    theirs = [ref['rpn.rois']] + [ref[k] for k in keys] + \
        [ref['nms_in.boxes'], ref['nms_in.scores']]
    tols = [0.1] + [1e-3 * np.abs(ref[k]).max() for k in keys] + \
        [0.1, 1e-3 * np.abs(ref['nms_in.scores']).max()]
    if not _rows_match(ours, theirs, tols):
        problems.append('rpn.rois / bbox_head / nms_in')


def _check_detections(out, ref, problems):
    np.testing.assert_array_equal(out['bbox_num'].numpy(), ref['out.bbox_num'])
    got, want = out['bbox'].numpy(), ref['out.bbox']
    np.testing.assert_array_equal(got[:, 0], want[:, 0])
    if np.abs(got[:, 1] - want[:, 1]).max() > 1e-4:
        problems.append('out.bbox scores')
    if np.abs(got[:, 2:] - want[:, 2:]).max() > 0.1:
        problems.append('out.bbox boxes')


def _near_threshold(logits: np.ndarray, box: np.ndarray, shape, margin: float) -> np.ndarray:
    """Pixels where PaddleDetection's pasted probability is within `margin` of 0.5."""
    near = np.zeros(shape, bool)
    probs = paddle.nn.functional.sigmoid(paddle.to_tensor(logits))
    pasted = paste_probabilities(probs, box, *shape)
    if pasted is not None:
        ys, xs, values = pasted
        near[ys, xs] = np.abs(values - 0.5) <= margin
    return near


def _check_masks(seen, out, ref, problems):
    labels = ref['out.bbox'][:, 0].astype(int)
    rows = np.nonzero(labels >= 0)[0]
    want_logits = ref['mask_head.own_class_logits']
    diff = np.abs(seen['mask_logits'][0].numpy()[rows, labels[rows]] - want_logits[rows]).max()
    if diff > 1e-3 * np.abs(want_logits[rows]).max():
        problems.append('mask logits')
    shape = tuple(ref['out.mask.shape'])
    want = np.unpackbits(ref['out.mask.packed'], axis=-1)[..., :shape[-1]].astype('int32')
    got = out['mask'].numpy()
    assert got.shape == shape and got.dtype == np.int32
    boxes = ref['out.bbox'][:, 2:]
    shift = np.abs(out['bbox'].numpy()[:, 2:] - boxes).astype('float64')
    for r in np.nonzero((got != want).reshape(shape[0], -1).any(1))[0]:
        if labels[r] < 0:
            problems.append(f'mask row {r} (empty box)')
            continue
        w, h = boxes[r, 2] - boxes[r, 0], boxes[r, 3] - boxes[r, 1]
        cells = want_logits.shape[-1]
        margin = diff / 4 + (cells + 1) * ((shift[r, 0] + shift[r, 2]) / w +
                                           (shift[r, 1] + shift[r, 3]) / h) + 1e-6
        if ((got[r] != want[r]) & ~_near_threshold(want_logits[r], boxes[r], shape[1:],
                                                    margin)).any():
            problems.append(f'mask row {r}')


@pytest.mark.parametrize('name', sorted(SHA))
def test_matches_paddledetection(name):
    ref = np.load(FIXTURES / f'{name}_256.npz')
    model, problems = _model(ref), []
    seen, out = _run(model, ref)
    _check_maps(seen, ref, problems)
    _check_candidates(seen, ref, problems)
    _check_detections(out, ref, problems)
    if 'out.mask.packed' in ref.files:
        _check_masks(seen, out, ref, problems)
    assert not problems, problems
