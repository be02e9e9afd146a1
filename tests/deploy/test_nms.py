"""The ONNX runner's NMS gives Paddle's multiclass_nms3 output exactly, keep_top_k -1 too."""
from __future__ import annotations

import numpy as np
import pytest


def _inputs(seed, batch=2, boxes=300, classes=4):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 200, (batch, boxes, 2))
    wh = rng.uniform(5, 80, (batch, boxes, 2))
    b = np.concatenate([xy, xy + wh], -1).astype('float32')
    s = rng.uniform(0, 1, (batch, classes, boxes)).astype('float32')
    s[:, :, ::7] = s[:, :, 1:2]  # exact ties across candidates
    return b, s


@pytest.mark.parametrize('keep_top_k,nms_top_k,background', [(100, 400, 3), (-1, -1, -1),
                                                             (20, 50, -1)])
def test_runner_nms_equals_the_kernel(keep_top_k, nms_top_k, background):
    import paddle
    from ppdet.deploy.infer_config import NmsParams
    from ppdet.deploy.nms import multiclass_nms
    b, s = _inputs(keep_top_k + 7)
    params = NmsParams(0.05, nms_top_k, keep_top_k, 0.45, False, background)
    out, num = multiclass_nms(b, s, params)
    ref, _, ref_num = paddle._C_ops.multiclass_nms3(
        paddle.to_tensor(b), paddle.to_tensor(s), None, 0.05, nms_top_k, keep_top_k, 0.45,
        False, 1.0, background)
    np.testing.assert_array_equal(num, ref_num.numpy())
    np.testing.assert_array_equal(out, ref.numpy().reshape(-1, 6))
    assert out.shape[0] > 0


def test_split_rows_drops_placeholders_and_checks_counts():
    from ppdet.deploy.errors import DeployError
    from ppdet.deploy.nms import split_rows
    rows = np.array([[0, .9, 1, 1, 5, 5], [-1, 0, 0, 0, 0, 0], [2, .5, 2, 2, 6, 6]])
    parts = split_rows(rows, np.array([2, 1]), 2)
    assert [p.shape[0] for p in parts] == [1, 1] and parts[1][0, 0] == 2
    assert [p.shape for p in split_rows(np.zeros((0, 6)), np.array([0, 0]), 2)] == [(0, 6)] * 2
    with pytest.raises(DeployError, match='rows for 1 images, fed 2'):
        split_rows(rows, np.array([3]), 2)
