"""Box arithmetic shared by the anchor-based families (R-CNN, RetinaNet).

Boxes are xyxy in input pixels with width `x2 - x1` (no +1). The delta encoding is the
R-CNN one: centre offsets in units of the reference box size, log size ratios, each scaled by
a weight (RPN and RetinaNet 1, 1, 1, 1; the R-CNN box head 10, 10, 5, 5). The operations
are written in the order PaddleDetection evaluates them, so decoded boxes agree bit for bit
with its own.
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import paddle

__all__ = ['bbox_area', 'bbox_overlaps', 'bbox2delta', 'delta2bbox', 'clip_to_shape',
           'DELTA_CLIP']

# exp() of a size delta above log(1000/16) would give boxes ~60x their anchor: clipped.
DELTA_CLIP = math.log(1000.0 / 16)


def bbox_area(boxes: paddle.Tensor) -> paddle.Tensor:
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def bbox_overlaps(boxes1: paddle.Tensor, boxes2: paddle.Tensor) -> paddle.Tensor:
    """IoU of every pair, [M, N]; 0 where the boxes do not intersect."""
    m, n = boxes1.shape[0], boxes2.shape[0]
    if m * n == 0:
        return paddle.zeros([m, n], dtype='float32')
    area1 = bbox_area(boxes1)
    area2 = bbox_area(boxes2)
    xy_max = paddle.minimum(paddle.unsqueeze(boxes1, 1)[:, :, 2:], boxes2[:, 2:])
    xy_min = paddle.maximum(paddle.unsqueeze(boxes1, 1)[:, :, :2], boxes2[:, :2])
    inter = (xy_max - xy_min).clip(min=0).prod(axis=2)
    union = paddle.unsqueeze(area1, 1) + area2 - inter
    return paddle.where(inter > 0, inter / union, paddle.zeros_like(inter))


def _centre_size(boxes: paddle.Tensor):
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + 0.5 * w, boxes[:, 1] + 0.5 * h, w, h


def bbox2delta(src: paddle.Tensor, tgt: paddle.Tensor,
               weights: Sequence[float] = (1., 1., 1., 1.)) -> paddle.Tensor:
    """Deltas [N, 4] that move each `src` box onto its `tgt` box."""
    sx, sy, sw, sh = _centre_size(src)
    tx, ty, tw, th = _centre_size(tgt)
    wx, wy, ww, wh = weights
    dx = wx * (tx - sx) / sw
    dy = wy * (ty - sy) / sh
    dw = ww * paddle.log(tw / sw)
    dh = wh * paddle.log(th / sh)
    return paddle.stack((dx, dy, dw, dh), axis=1)


def delta2bbox(deltas: paddle.Tensor, boxes: paddle.Tensor,
               weights: Sequence[float] = (1., 1., 1., 1.)) -> paddle.Tensor:
    """Decode `deltas` [N, 4k] against `boxes` [N, 4] into boxes [N, k, 4] (k deltas per box,
    e.g. one per class); size deltas are clipped at `DELTA_CLIP` before exp()."""
    cx, cy, w, h = _centre_size(boxes)
    wx, wy, ww, wh = weights
    dx = deltas[:, 0::4] / wx
    dy = deltas[:, 1::4] / wy
    dw = paddle.clip(deltas[:, 2::4] / ww, max=DELTA_CLIP)
    dh = paddle.clip(deltas[:, 3::4] / wh, max=DELTA_CLIP)
    pred_cx = dx * w.unsqueeze(1) + cx.unsqueeze(1)
    pred_cy = dy * h.unsqueeze(1) + cy.unsqueeze(1)
    pred_w = paddle.exp(dw) * w.unsqueeze(1)
    pred_h = paddle.exp(dh) * h.unsqueeze(1)
    return paddle.stack([pred_cx - 0.5 * pred_w, pred_cy - 0.5 * pred_h,
                         pred_cx + 0.5 * pred_w, pred_cy + 0.5 * pred_h], axis=-1)


def clip_to_shape(boxes: paddle.Tensor, height: paddle.Tensor, width: paddle.Tensor,
                  zeros: Optional[paddle.Tensor] = None) -> paddle.Tensor:
    """Clip xyxy boxes [..., 4] into [0, width] x [0, height]; `height`/`width` broadcast
    against boxes[..., 0]."""
    zeros = paddle.zeros_like(height) if zeros is None else zeros
    x1 = paddle.maximum(paddle.minimum(boxes[..., 0], width), zeros)
    y1 = paddle.maximum(paddle.minimum(boxes[..., 1], height), zeros)
    x2 = paddle.maximum(paddle.minimum(boxes[..., 2], width), zeros)
    y2 = paddle.maximum(paddle.minimum(boxes[..., 3], height), zeros)
    return paddle.stack([x1, y1, x2, y2], axis=-1)
