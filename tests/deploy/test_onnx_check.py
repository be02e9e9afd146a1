"""The ONNX candidate check: round-off passes, candidates a top-k lists in another order
among near-equal keys pass, a wrong box or score anywhere fails."""
from __future__ import annotations

import numpy as np
import pytest

from ppdet.deploy.errors import DeployError
from ppdet.deploy.onnx_check import WINDOW, check_onnx_outputs


def _outputs(rows=40, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 300, (1, rows, 2)).astype('float32')
    boxes = np.concatenate([xy, xy + rng.uniform(5, 50, (1, rows, 2))], axis=2)
    return [boxes.astype('float32'), rng.uniform(0, 1, (1, classes, rows)).astype('float32')]


def test_round_off_passes_and_reports_the_difference():
    expected = _outputs()
    got = [expected[0] + 1e-3, expected[1] * (1 + 1e-6)]
    assert 5e-4 < check_onnx_outputs(expected, got, 'm.onnx') < 2e-3


def test_candidates_swapped_by_a_top_k_tie_pass():
    expected = _outputs()
    order = np.arange(40)
    order[[10, 12]] = order[[12, 10]]                 # two rows two places apart
    got = [expected[0][:, order], expected[1][:, :, order]]
    assert check_onnx_outputs(expected, got, 'm.onnx') == 0.0


def test_a_candidate_moved_beyond_the_window_or_changed_fails():
    expected = _outputs()
    far = np.arange(40)
    far[[0, WINDOW + 5]] = far[[WINDOW + 5, 0]]
    with pytest.raises(DeployError, match='2 of its 40 box candidates differ'):
        check_onnx_outputs(expected, [expected[0][:, far], expected[1][:, :, far]], 'm.onnx')
    moved = expected[0].copy()
    moved[0, 7, 2] += 0.5                             # one coordinate half a pixel off
    with pytest.raises(DeployError, match='1 of its 40 box candidates differ.*do not use'):
        check_onnx_outputs(expected, [moved, expected[1]], 'm.onnx')
    scores = expected[1].copy()
    scores[0, 1, 3] += 0.01
    with pytest.raises(DeployError, match='1 of its 40'):
        check_onnx_outputs(expected, [expected[0], scores], 'm.onnx')
    with pytest.raises(DeployError, match=r'boxes has shape \[1, 39, 4\]'):
        check_onnx_outputs(expected, [expected[0][:, :39], expected[1]], 'm.onnx')


def test_another_candidate_of_the_same_key_at_a_top_k_cut_passes():
    """A tie at the cut: ONNX Runtime keeps a different candidate whose best score equals the
    model's one; a different candidate with a different best score fails."""
    expected = _outputs()
    got = [expected[0].copy(), expected[1].copy()]
    got[0][0, 39] += 37.0                             # another box ...
    got[1][0, :, 39] = got[1][0, ::-1, 39]            # ... with the same best score
    check_onnx_outputs(expected, got, 'm.onnx')
    got[1][0, :, 39] = expected[1][0, :, 39] * 0.9
    with pytest.raises(DeployError, match='1 of its 40'):
        check_onnx_outputs(expected, got, 'm.onnx')
