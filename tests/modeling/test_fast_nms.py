"""fast_nms must give exactly what Paddle's `multiclass_nms3` kernel gives.

Every case runs the kernel itself (`paddle._C_ops.multiclass_nms3`) and the fast path on the same
inputs, then compares out, index and rois_num with np.array_equal.
"""
import numpy as np
import paddle
import pytest

from ppdet.modeling.ops import nms as nms_mod
from ppdet.modeling.ops.fast_nms import fast_multiclass_nms_numpy


def _kernel(boxes, scores, st, ntk, ktk, nt, normalized, bg, eta=1.0):
    out = paddle._C_ops.multiclass_nms3(paddle.to_tensor(boxes), paddle.to_tensor(scores), None,
                                        float(st), int(ntk), int(ktk), float(nt),
                                        bool(normalized), float(eta), int(bg))
    return [t.numpy() for t in out]


def _check(boxes, scores, st, ntk, ktk, nt, normalized, bg):
    ref = _kernel(boxes, scores, st, ntk, ktk, nt, normalized, bg)
    got = fast_multiclass_nms_numpy(boxes, scores, st, ntk, ktk, nt, normalized, bg)
    for name, r, g in zip(('out', 'index', 'rois_num'), ref, got):
        assert r.dtype == g.dtype, name
        assert r.shape == g.shape, (name, r.shape, g.shape)
        assert np.array_equal(r, g), name
    return ref


def _boxes(rng, n, normalized, degenerate):
    scale = 1.0 if normalized else 100.0
    # a few clusters, so boxes overlap a lot and NMS has real work to do
    centres = rng.uniform(0, scale, (max(1, n // 20), 2))
    c = centres[rng.integers(0, len(centres), n)] + rng.normal(0, 0.05 * scale, (n, 2))
    wh = rng.uniform(0.01, 0.3, (n, 2)) * scale
    b = np.concatenate([c - wh / 2, c + wh / 2], 1)
    if degenerate:
        k = n // 5
        sel = rng.choice(n, k, replace=False)
        kind = rng.integers(0, 4, k)
        b[sel[kind == 0], 2] = b[sel[kind == 0], 0]          # zero width
        b[sel[kind == 1], 3] = b[sel[kind == 1], 1]          # zero height
        b[sel[kind == 2]] = b[sel[kind == 2]][:, [2, 3, 0, 1]]  # inverted
        b[sel[kind == 3], :2] = b[sel[kind == 3], 2:]        # a point
        dup = rng.choice(n, n // 10, replace=False)
        b[dup] = b[rng.integers(0, n, len(dup))]             # exact duplicates
        b = np.round(b, 1 if not normalized else 2)          # coordinates shared between boxes
    return b.astype('float32')


def _scores(rng, b, c, n, ties):
    if ties == 'none':
        s = rng.uniform(0, 1, (b, c, n))
    elif ties == 'many':
        s = rng.integers(0, 12, (b, c, n)) / 11.0
    elif ties == 'saturated':  # large blocks of exactly 1.0, as DarkNet-53 under the recipe
        s = np.where(rng.uniform(0, 1, (b, c, n)) < 0.4, 1.0, rng.uniform(0, 1, (b, c, n)))
    else:  # 'narrow': nearly uniform softmax-like scores, with a few ties
        s = 0.05 + 0.001 * rng.integers(0, 50, (b, c, n)) + rng.uniform(0, 1e-4, (b, c, n))
    return s.astype('float32')


CASES = []
_rng = np.random.default_rng(1234)
for _i in range(160):
    CASES.append(dict(
        seed=int(_rng.integers(0, 2 ** 31)),
        batch=int(_rng.choice([1, 2])),
        classes=int(_rng.choice([1, 3, 8, 21])),
        n=int(_rng.choice([0, 1, 7, 60, 300])),
        normalized=bool(_rng.integers(0, 2)),
        degenerate=bool(_rng.integers(0, 2)),
        ties=str(_rng.choice(['none', 'many', 'saturated', 'narrow'])),
        st=float(_rng.choice([0.0, 0.01, 0.3, 0.7, 0.95, 1.0])),
        ntk=int(_rng.choice([-1, 0, 1, 5, 40, 1000])),
        ktk=int(_rng.choice([0, 1, 3, 10, 50, 100, 10000])),
        nt=float(_rng.choice([0.0, 0.3, 0.45, 0.5, 0.7, 1.0])),
        bg=int(_rng.choice([-1, 0, 2, 100])),
    ))


@pytest.mark.parametrize('case', CASES, ids=[str(i) for i in range(len(CASES))])
def test_matches_kernel_random(case):
    rng = np.random.default_rng(case['seed'])
    boxes = np.stack([_boxes(rng, case['n'], case['normalized'], case['degenerate'])
                      for _ in range(case['batch'])])
    scores = _scores(rng, case['batch'], case['classes'], case['n'], case['ties'])
    if case['batch'] == 2 and case['n']:
        scores[1] *= np.float32(0.5)  # second image has far fewer candidates
    _check(boxes, scores, case['st'], case['ntk'], case['ktk'], case['nt'],
           case['normalized'], case['bg'])


@pytest.mark.parametrize('normalized', [True, False])
def test_threshold_equal_to_an_overlap(normalized):
    """nms_threshold set to overlaps that actually occur: exercises `overlap <= threshold`."""
    rng = np.random.default_rng(7)
    boxes = _boxes(rng, 200, normalized, True)[None]
    scores = _scores(rng, 1, 4, 200, 'many')
    one = None if normalized else np.float32(1)
    from ppdet.modeling.ops.fast_nms import _areas
    b = boxes[0]
    x1, y1, x2, y2 = b[:, 0], b[:, 1], b[:, 2], b[:, 3]
    ar = _areas(x1, y1, x2, y2, one)
    iw = np.minimum(x2[:, None], x2[None]) - np.maximum(x1[:, None], x1[None])
    ih = np.minimum(y2[:, None], y2[None]) - np.maximum(y1[:, None], y1[None])
    if one is not None:
        iw, ih = iw + one, ih + one
    inter = iw * ih
    with np.errstate(invalid='ignore', divide='ignore'):
        ov = inter / ((ar[:, None] + ar[None]) - inter)
    vals = ov[np.isfinite(ov) & (ov > 0) & (ov < 1)]
    for t in rng.choice(vals, 12, replace=False):
        for ktk in (5, 30, 1000):
            _check(boxes, scores, 0.05, 100, ktk, float(t), normalized, -1)


def test_large_yolo_like():
    """80 classes x 3000 candidates with nms_top_k 1000 and keep_top_k 100."""
    rng = np.random.default_rng(3)
    boxes = _boxes(rng, 3000, False, False)[None] * np.float32(4)
    obj = rng.uniform(0, 1, (1, 1, 3000))
    scores = (obj * rng.uniform(0, 1, (1, 80, 3000))).astype('float32')
    ref = _check(boxes, scores, 0.01, 1000, 100, 0.45, False, 80)
    assert ref[0].shape[0] == 100


def test_empty_and_single():
    boxes = np.zeros((2, 0, 4), 'float32')
    scores = np.zeros((2, 5, 0), 'float32')
    _check(boxes, scores, 0.01, 100, 10, 0.5, True, -1)
    rng = np.random.default_rng(0)
    boxes = _boxes(rng, 30, True, False)[None].repeat(2, 0)
    scores = np.zeros((2, 3, 30), 'float32')
    scores[1, 1, 4] = 0.9
    ref = _check(boxes, scores, 0.01, 100, 10, 0.5, True, -1)
    assert ref[2].tolist() == [0, 1]


def test_wrapper_uses_fast_path_and_matches(monkeypatch):
    """MultiClassNMS output is the kernel's, with and without the fast path."""
    rng = np.random.default_rng(11)
    boxes = paddle.to_tensor(_boxes(rng, 500, False, True)[None].repeat(2, 0))
    scores = paddle.to_tensor(_scores(rng, 2, 20, 500, 'narrow'))
    nms = nms_mod.MultiClassNMS(score_threshold=0.01, nms_top_k=400, keep_top_k=50,
                                nms_threshold=0.45, return_index=True)
    called = []
    real = nms_mod.fast_multiclass_nms_numpy

    def spy(*a, **k):
        called.append(1)
        return real(*a, **k)
    monkeypatch.setattr(nms_mod, 'fast_multiclass_nms_numpy', spy)
    fast = nms(boxes, scores, 20)
    assert called
    monkeypatch.setenv('PPDET_FAST_NMS', '0')
    slow = nms(boxes, scores, 20)
    assert len(called) == 1
    for f, s in zip(fast, slow):
        assert f.dtype == s.dtype and np.array_equal(f.numpy(), s.numpy())


def test_fallbacks_use_kernel(monkeypatch):
    rng = np.random.default_rng(5)
    boxes = paddle.to_tensor(_boxes(rng, 50, True, False)[None])
    scores = paddle.to_tensor(_scores(rng, 1, 3, 50, 'none'))

    def boom(*a, **k):
        raise AssertionError('fast path used')
    monkeypatch.setattr(nms_mod, 'fast_multiclass_nms_numpy', boom)
    nms_mod.multiclass_nms(boxes, scores, 0.01, 100, -1, 0.5)            # keep_top_k -1
    nms_mod.multiclass_nms(boxes, scores, 0.01, 100, 10, 0.7, nms_eta=0.9)  # adaptive NMS
    nan_boxes = boxes.numpy().copy()
    nan_boxes[0, 3, 1] = np.nan
    nms_mod.multiclass_nms(paddle.to_tensor(nan_boxes), scores, 0.01, 100, 10, 0.5)
    # R-CNN layout: [M, C, 4] boxes, [M, C] scores, rois_num
    rb = paddle.to_tensor(np.repeat(_boxes(rng, 40, False, False)[:, None], 3, 1))
    rs = paddle.to_tensor(rng.uniform(0, 1, (40, 3)).astype('float32'))
    nms_mod.multiclass_nms(rb, rs, 0.05, -1, 10, 0.5, False,
                           rois_num=paddle.to_tensor(np.array([40], 'int32')))
