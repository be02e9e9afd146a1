"""The NMS step of an ONNX model, in numpy, with Paddle's `multiclass_nms3` semantics.

ONNX's NonMaxSuppression is per-class top-k with different tie and cut rules, so the ONNX
graph ends at the decoded (boxes, scores) and the runner finishes here, as PaddleDetection's
ONNX deployment does. `fast_multiclass_nms_numpy` reproduces the kernel exactly (same rows,
order and counts) for `keep_top_k >= 0` and `nms_eta >= 1`; `keep_top_k = -1` ("keep all") is
the same as a cut no output can reach, C*M rows.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

from ppdet.deploy.errors import DeployError
from ppdet.deploy.infer_config import NmsParams
from ppdet.modeling.ops.fast_nms import fast_multiclass_nms_numpy

__all__ = ['multiclass_nms', 'split_rows']


def multiclass_nms(boxes: np.ndarray, scores: np.ndarray,
                   params: NmsParams) -> Tuple[np.ndarray, np.ndarray]:
    """boxes [B, M, 4], scores [B, C, M] -> (rows [N, 6] (class, score, x1, y1, x2, y2),
    rows per image [B])."""
    boxes = np.ascontiguousarray(boxes, np.float32)
    scores = np.ascontiguousarray(scores, np.float32)
    if boxes.ndim != 3 or scores.ndim != 3 or boxes.shape[2] != 4 \
            or boxes.shape[0] != scores.shape[0] or boxes.shape[1] != scores.shape[2]:
        raise DeployError(f'the ONNX model returned boxes {list(boxes.shape)} and scores '
                          f'{list(scores.shape)}; expected [B, M, 4] and [B, C, M]: export '
                          f'it again with tools/export_model.py --onnx')
    keep = params.keep_top_k
    if keep < 0:
        keep = scores.shape[1] * scores.shape[2]
    out, _, num = fast_multiclass_nms_numpy(
        boxes, scores, params.score_threshold, params.nms_top_k, keep, params.nms_threshold,
        params.normalized, params.background_label)
    return out, num


def split_rows(bbox: np.ndarray, bbox_num: np.ndarray, images: int) -> List[np.ndarray]:
    """Per-image detection rows (class >= 0) from a detector's (bbox, bbox_num) outputs."""
    num = np.asarray(bbox_num).reshape(-1).astype(np.int64)
    if num.size != images:
        raise DeployError(f'the model returned rows for {num.size} images, fed {images}')
    flat = np.asarray(bbox, np.float64).reshape(-1)
    if int(num.sum()) == 0:
        return [np.zeros((0, 6)) for _ in range(images)]
    if flat.size != int(num.sum()) * 6:
        raise DeployError(f'the model returned {flat.size} values for {int(num.sum())} rows of '
                          f'6 (class, score, x1, y1, x2, y2)')
    rows = flat.reshape(-1, 6)
    out, start = [], 0
    for n in num.tolist():
        part = rows[start:start + n]
        start += n
        out.append(part[part[:, 0] >= 0])
    return out
