"""Does an ONNX model compute what the model computes before NMS? (`tools/export_model.py
--onnx` runs this on its test input and deletes a file that fails.)

The graph's outputs are the NMS candidates: boxes [B, M, 4] and scores [B, C, M]. Each
candidate (its box and its C scores) must match the model's within float32 round-off of two
different kernel libraries (~1e-6 relative; rtol/atol below leave two orders of magnitude
above it: 0.07 px on a 640 px box) and catch any real mapping error.

One difference is not an error: where a top-k cut (RetinaNet's `nms_pre`) ranks candidates
by equal or nearly equal keys, Paddle's and ONNX Runtime's TopK may list them in either
order, so a candidate may sit a few rows from its place. Such candidates are adjacent in the
ranking, so each one must be found within `WINDOW` rows of where the model has it. At the cut
itself such a tie may keep another candidate than the model keeps: that is accepted where the
row holds another candidate (its box and its scores differ) whose best class score (the
top-k key) agrees with the model's to `KEY_RTOL` (kernel round-off), and nowhere else; a box
or a score computed wrongly changes one of them alone and fails.
"""
from __future__ import annotations

from typing import List

import numpy as np

from ppdet.deploy.errors import DeployError

__all__ = ['check_onnx_outputs', 'WINDOW', 'KEY_RTOL']

WINDOW = 8
KEY_RTOL, KEY_ATOL = 1e-5, 1e-7  # two float32 sigmoid outputs of the same logit, round-off


def _candidates(boxes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """[B, M, 4 + C]: each candidate's box and class scores in one row."""
    return np.concatenate([boxes, np.transpose(scores, (0, 2, 1))], axis=2)


def _tie_at_cut(want: np.ndarray, have: np.ndarray, rtol: float, atol: float) -> bool:
    """`have` is another candidate (box and scores both differ) of the same top-k key."""
    other_box = not np.allclose(want[:4], have[:4], rtol=rtol, atol=atol)
    other_scores = not np.allclose(want[4:], have[4:], rtol=rtol, atol=atol)
    same_key = np.isclose(want[4:].max(), have[4:].max(), rtol=KEY_RTOL, atol=KEY_ATOL)
    return bool(other_box and other_scores and same_key)


def _unplaced(expected: np.ndarray, got: np.ndarray, rtol: float, atol: float) -> List[int]:
    """Candidates of `expected` [B, M, K] that `got` has neither at their row nor within
    WINDOW rows of it (flattened indices b * M + m)."""
    close = np.isclose(expected, got, rtol=rtol, atol=atol).all(axis=-1)
    missing = []
    rows = expected.shape[1]
    for b, m in zip(*np.nonzero(~close)):
        lo, hi = max(0, m - WINDOW), min(rows, m + WINDOW + 1)
        near = np.isclose(got[b, lo:hi], expected[b, m], rtol=rtol, atol=atol).all(axis=-1)
        if not near.any() and not _tie_at_cut(expected[b, m], got[b, m], rtol, atol):
            missing.append(int(b * rows + m))
    return missing


def check_onnx_outputs(expected: List[np.ndarray], got: List[np.ndarray], path: str,
                       rtol: float = 1e-4, atol: float = 1e-3) -> float:
    """Largest |difference| between candidates at the same row (0 when none); DeployError
    when the shapes differ or a candidate is not matched (module docstring)."""
    for name, e, g in zip(('boxes', 'scores'), expected, got):
        if e.shape != g.shape:
            raise DeployError(f'{path}: {name} has shape {list(g.shape)}, the model gives '
                              f'{list(e.shape)}')
    e, g = _candidates(*expected[:2]), _candidates(*got[:2])
    if not e.size:
        return 0.0
    missing = _unplaced(e, g, rtol, atol)
    if missing:
        worst = float(np.max(np.abs(e - g)))
        raise DeployError(f'{path}: {len(missing)} of its {e.shape[0] * e.shape[1]} box '
                          f'candidates differ from the model\'s (by up to {worst:.4g}); the '
                          f'conversion is wrong, do not use this file')
    close = np.isclose(e, g, rtol=rtol, atol=atol).all(axis=-1)
    return float(np.max(np.abs(e - g)[close])) if close.any() else 0.0
