"""Numerical parity of Faster R-CNN (FPN and C4) and RetinaNet with PaddleDetection 2.6: its own
release/2.6 configs, the recipe weights, the fixture's input, every stage's tensors.

Tolerances (../shared/reference/parity/README.md, "Determinism and observed tolerances"):
backbone maps are stored as float16, so 2e-3 relative; neck and conv-head maps 1e-4 of
max|ref| (float32 round-off of a different summation order is ~1e-6); anchors exactly (they
are computed, not learnt); after RoIAlign and box decoding 1e-3 of max|ref| or 0.1 px; class
ids and counts exactly. Candidate lists cut by a top-k (RPN proposals, and what follows from
them) may hold the same rows in another order when scores nearly tie, so those are compared
as sets of rows: each row must have a partner within the tolerance.
"""
from __future__ import annotations

import numpy as np
import paddle
import pytest

from ppdet.core.workspace import create, load_config
from tests.modeling._yolo_helpers import PARITY_DIR, SHARED
from tests.helpers.recipe_weights import apply_recipe, state_dict_sha256

CONFIGS = SHARED / 'reference' / 'ppdet26_configs' / 'configs'
CASES = {
    'faster_rcnn_r50_fpn_1x_coco': ('faster_rcnn/faster_rcnn_r50_fpn_1x_coco.yml',
        '987df6e0508ccf10b618b88d01af78fe78aa5772a8c39e2cf757eb4f90694104', 41806176),
    'faster_rcnn_r50_1x_coco': ('faster_rcnn/faster_rcnn_r50_1x_coco.yml',
        'd09b5568f41a27a312fc84b4ab5dbceb31d82ec9ed13db646a80ce69d4959ab6', 33897884),
    'retinanet_r50_fpn_1x_coco': ('retinanet/retinanet_r50_fpn_1x_coco.yml',
        '3d2323015c1613a5a3346aca4bb4b4635e3c000b3f533473a473db937e044a6e', 33893044),
}


def _rel(ours, ref) -> float:
    ref = np.asarray(ref, 'float32')
    return float(np.abs(np.asarray(ours, 'float32') - ref).max() / max(np.abs(ref).max(), 1e-12))


def _rows_match(ours, ref, tols) -> bool:
    """Same rows up to order: `ours` and `ref` are lists of blocks with one row per candidate
    (e.g. RoI, its scores, its deltas); every reference row needs a row of ours within each
    block's tolerance."""
    scaled = [np.concatenate([np.asarray(b, 'float64').reshape(len(b), -1) / t
                              for b, t in zip(blocks, tols)], 1) for blocks in (ours, ref)]
    mine, theirs = scaled
    if mine.shape != theirs.shape:
        return False
    return all(np.abs(mine - row).max(axis=1).min() <= 1.0 for row in theirs)


def _model(name):
    path, sha, count = CASES[name]
    cfg = load_config(str(CONFIGS / path))
    with paddle.LazyGuard():  # every value is set below: skip the initialisers
        model = create(cfg.architecture, cfg)
    assert state_dict_sha256(apply_recipe(model)) == (sha, count)
    model.eval()
    return model


def _inputs(ref):
    return {k.split('.', 1)[1]: paddle.to_tensor(ref[k]) for k in ref.files
            if k.startswith('input.')}


class _Taps:
    """Outputs of sub-layers during ONE forward pass of the whole model (forward hooks; the
    decoder, not a Layer, through a pass-through wrapper), so every stage is checked on the
    tensors the model itself computed, and the C4 box head (res5 on every RoI, the costly
    part) runs once."""

    def __init__(self, model, layers):
        self.seen = {name: [] for name in layers}
        self.hooks = [layer.register_forward_post_hook(self._keep(name))
                      for name, layer in layers.items()]

    def _keep(self, name):
        def hook(layer, inputs, output):
            self.seen[name].append(output)
        return hook

    def wrap(self, owner, attr, name):
        original = getattr(owner, attr)
        self.seen[name] = []

        def tapped(*args, **kwargs):
            out = original(*args, **kwargs)
            self.seen[name].append(out)
            return out
        setattr(owner, attr, tapped)

    def close(self):
        for h in self.hooks:
            h.remove()


def _check_maps(taps, ref, problems):
    for key, tol in (('backbone', 2e-3), ('neck', 1e-4)):
        for i, f in enumerate(taps.seen[key][0] if taps.seen.get(key) else []):
            if _rel(f.numpy(), ref[f'{key}.{i}']) > tol:
                problems.append(f'{key}.{i}')


def _check_outputs(out, ref, problems):
    np.testing.assert_array_equal(out['bbox_num'].numpy(), ref['out.bbox_num'])
    got, want = out['bbox'].numpy(), ref['out.bbox']
    np.testing.assert_array_equal(got[:, 0], want[:, 0])
    if np.abs(got[:, 1] - want[:, 1]).max() > 1e-4:
        problems.append('out.bbox scores')
    if np.abs(got[:, 2:] - want[:, 2:]).max() > 0.1:
        problems.append('out.bbox boxes')


@pytest.mark.parametrize('name', ['faster_rcnn_r50_fpn_1x_coco', 'faster_rcnn_r50_1x_coco'])
def test_faster_rcnn_matches_paddledetection(name):
    ref = np.load(PARITY_DIR / f'{name}.npz')
    model, problems = _model(name), []
    rpn, head = model.rpn_head, model.bbox_head
    layers = {'backbone': model.backbone, 'score': rpn.rpn_rois_score,
              'delta': rpn.rpn_rois_delta, 'anchors': rpn.anchor_generator, 'rpn': rpn,
              'bbox_score': head.bbox_score, 'bbox_delta': head.bbox_delta}
    if model.neck is not None:
        layers['neck'] = model.neck
    taps = _Taps(model, layers)
    taps.wrap(model.bbox_post_process, 'decode', 'decode')
    with paddle.no_grad():
        out = model(_inputs(ref))
    taps.close()
    seen = taps.seen
    _check_maps(taps, ref, problems)
    for i, (score, delta) in enumerate(zip(seen['score'], seen['delta'])):
        if _rel(score.numpy(), ref[f'rpn.objectness.{i}']) > 1e-4 or \
                _rel(delta.numpy(), ref[f'rpn.deltas.{i}']) > 1e-4:
            problems.append(f'rpn level {i}')
    for i, a in enumerate(seen['anchors'][0]):
        np.testing.assert_array_equal(a.numpy(), ref[f'rpn.anchors.{i}'])
    rois, rois_num, _ = seen['rpn'][0]
    np.testing.assert_array_equal(rois_num.numpy(), ref['rpn.rois_num'])
    (boxes, _), _ = seen['decode'][0]
    tols = [0.1, 1e-3 * np.abs(ref['bbox_head.scores']).max(),
            1e-3 * np.abs(ref['bbox_head.deltas']).max(), 0.1]
    ours = [rois[0], seen['bbox_score'][0], seen['bbox_delta'][0], boxes]
    if not _rows_match([t.numpy() for t in ours], [ref['rpn.rois'], ref['bbox_head.scores'],
                                                   ref['bbox_head.deltas'],
                                                   ref['nms_in.boxes']], tols):
        problems.append('rpn.rois / bbox_head / nms_in.boxes')
    _check_outputs(out, ref, problems)
    assert not problems, problems


def test_retinanet_matches_paddledetection():
    name = 'retinanet_r50_fpn_1x_coco'
    ref = np.load(PARITY_DIR / f'{name}.npz')
    model, problems = _model(name), []
    head = model.head
    taps = _Taps(model, {'backbone': model.backbone, 'neck': model.neck,
                         'cls': head.retina_cls, 'reg': head.retina_reg,
                         'anchors': head.anchor_generator})
    with paddle.no_grad():
        out = model(_inputs(ref))
    taps.close()
    seen = taps.seen
    _check_maps(taps, ref, problems)
    for i, (c, r) in enumerate(zip(seen['cls'], seen['reg'])):
        if _rel(c.numpy(), ref[f'head.cls_logits.{i}']) > 1e-4 or \
                _rel(r.numpy(), ref[f'head.bbox_reg.{i}']) > 1e-4:
            problems.append(f'head level {i}')
    for i, a in enumerate(seen['anchors'][0]):
        np.testing.assert_array_equal(a.numpy(), ref[f'head.anchors.{i}'])
    _check_outputs(out, ref, problems)
    assert not problems, problems
