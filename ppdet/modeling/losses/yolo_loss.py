"""YOLOv3 loss on targets built by the reader's Gt2YoloTarget.

Per level the reader gives `target{i}` [B, A, 6+C, H, W] = (tx, ty, tw, th, scale, objectness,
one-hot classes) and all levels share `gt_bbox` [B, M, 4] (normalised cx, cy, w, h; padded rows
are zeros). Terms, each summed over anchors and cells and averaged over the batch:
- xy: BCE of sigmoid offsets (L1 when scale_x_y != 1), weighted by scale * objectness;
- wh: L1 on log-space sizes, weighted by scale * objectness;
- obj: BCE on objectness; negatives whose best IoU with any ground truth exceeds
  `ignore_thresh` are ignored;
- cls: BCE per class on positive anchors (optionally label-smoothed).
"""
from __future__ import annotations

from typing import Dict, List, Optional

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppdet.core.workspace import register

__all__ = ['YOLOv3Loss', 'batch_iou_similarity']


def batch_iou_similarity(box1: paddle.Tensor, box2: paddle.Tensor,
                         eps: float = 1e-9) -> paddle.Tensor:
    """IoU of xyxy boxes [B, M1, 4] x [B, M2, 4] -> [B, M1, M2].

    Coordinates are expanded to [B, M1, M2] before the element-wise ops: Paddle's CPU
    kernels for same-shape operands are ~10x faster than its broadcasting ones, and the
    expand costs one copy. Same arithmetic per element as the broadcast form.
    """
    shape = [box1.shape[0], box1.shape[1], box2.shape[1]]
    a, b = box1.unsqueeze(2), box2.unsqueeze(1)
    area1 = ((a[..., 2] - a[..., 0]).clip(0) * (a[..., 3] - a[..., 1]).clip(0)).expand(shape)
    area2 = ((b[..., 2] - b[..., 0]).clip(0) * (b[..., 3] - b[..., 1]).clip(0)).expand(shape)
    ax1, ay1, ax2, ay2 = [v.expand(shape) for v in a.unbind(-1)]
    bx1, by1, bx2, by2 = [v.expand(shape) for v in b.unbind(-1)]
    iw = (paddle.minimum(ax2, bx2) - paddle.maximum(ax1, bx1)).clip(0)
    ih = (paddle.minimum(ay2, by2) - paddle.maximum(ay1, by1)).clip(0)
    overlap = iw * ih
    return overlap / (area1 + area2 - overlap + eps)


_GRIDS: Dict[tuple, paddle.Tensor] = {}


def _grid(h: int, w: int, dtype) -> paddle.Tensor:
    """[h, w, 2] cell coordinates (x, y); constant per size, so built once per (h, w, dtype,
    device) in dynamic mode instead of meshgrid + stack + cast on every level of every step.
    The device is part of the key: a grid made on the CPU must not feed a model moved to a
    GPU by a later `paddle.set_device` in the same process."""
    key = (h, w, str(dtype), paddle.get_device())
    grid = _GRIDS.get(key) if paddle.in_dynamic_mode() else None
    if grid is None:
        yv, xv = paddle.meshgrid([paddle.arange(h), paddle.arange(w)])
        grid = paddle.stack((xv, yv), 2).cast(dtype)
        grid.stop_gradient = True
        if paddle.in_dynamic_mode():
            if len(_GRIDS) > 64:  # multi-scale training: keep it bounded
                _GRIDS.clear()
            _GRIDS[key] = grid
    return grid


def decode_yolo(box: List[paddle.Tensor], anchor: List[List[int]], downsample: int):
    """Cell-relative predictions [B, A, H, W, 1] each -> normalised cx, cy, w, h."""
    x, y, w, h = box
    na, gh, gw = x.shape[1:4]
    grid = _grid(gh, gw, x.dtype).reshape([1, 1, gh, gw, 2])
    cx = (x + grid[..., 0:1]) / gw
    cy = (y + grid[..., 1:2]) / gh
    an = paddle.to_tensor(anchor, dtype=x.dtype).reshape([1, na, 1, 1, 2])
    bw = paddle.exp(w) * an[..., 0:1] / (downsample * gw)
    bh = paddle.exp(h) * an[..., 1:2] / (downsample * gh)
    return [cx, cy, bw, bh]


@register
class YOLOv3Loss(nn.Layer):
    """Loss of one YOLOv3 head; returns loss_xy, loss_wh, loss_obj, loss_cls (+ optional IoU
    terms) summed over levels, and their total under 'loss'.

    `downsample` gives the stride of each level in the head's order (deepest first).
    `iou_loss` / `iou_aware_loss` are optional callables on (pred, target) boxes.
    """
    __shared__ = ['num_classes']
    __inject__ = ['iou_loss', 'iou_aware_loss']

    def __init__(self, num_classes: int = 80, ignore_thresh: float = 0.7,
                 label_smooth: bool = False, downsample: List[int] = [32, 16, 8],
                 scale_x_y: float = 1., iou_loss: Optional[object] = None,
                 iou_aware_loss: Optional[object] = None):
        super().__init__()
        self.num_classes = num_classes
        self.ignore_thresh = ignore_thresh
        self.label_smooth = label_smooth
        self.downsample = list(downsample)
        self.scale_x_y = scale_x_y
        self.iou_loss = iou_loss
        self.iou_aware_loss = iou_aware_loss

    def _obj_loss(self, pbox, gbox, pobj, tobj, anchor, downsample):
        b = pobj.shape[0]
        # The ignore mask takes no gradient: build it outside autograd so that none of the
        # [B, A*H*W, M] IoU intermediates is recorded or kept for the backward pass.
        with paddle.no_grad():
            cx, cy, w, h = decode_yolo([v.detach() for v in pbox], anchor, downsample)
            pxyxy = paddle.concat([cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5],
                                  axis=-1).reshape([b, -1, 4])
            gxyxy = paddle.concat([gbox[:, :, 0:2] - gbox[:, :, 2:4] * 0.5,
                                   gbox[:, :, 0:2] + gbox[:, :, 2:4] * 0.5], axis=-1)
            iou = batch_iou_similarity(pxyxy, gxyxy)
            iou_mask = paddle.cast(iou.max(2) <= self.ignore_thresh, pxyxy.dtype)
            tobj = tobj.reshape([b, -1])
            obj_mask = paddle.cast(tobj > 0, pxyxy.dtype)
        pobj = pobj.reshape([b, -1])
        bce = F.binary_cross_entropy_with_logits(pobj, obj_mask, reduction='none')
        return bce * tobj + bce * (1 - obj_mask) * iou_mask

    def _cls_loss(self, pcls, tcls):
        if self.label_smooth:
            delta = min(1. / self.num_classes, 1. / 40)
            pos = paddle.cast(tcls > 0., tcls.dtype)
            tcls = (1 - delta) * pos + delta * (1 - pos)
        return F.binary_cross_entropy_with_logits(pcls, tcls, reduction='none')

    def _level_loss(self, p, t, gt_box, anchor, downsample, scale=1., eps=1e-10):
        na = len(anchor)
        b, _, h, w = p.shape
        ioup = None
        if self.iou_aware_loss is not None:
            ioup, p = p[:, 0:na].unsqueeze(-1), p[:, na:]
        p = p.reshape([b, na, -1, h, w]).transpose([0, 1, 3, 4, 2])
        # one split instead of six slices: its backward is one concat, where each slice's
        # backward writes a zero-filled gradient of the whole map and these are then summed
        x, y, pw, ph, obj, pcls = paddle.split(p, [1, 1, 1, 1, 1, p.shape[-1] - 5], axis=-1)
        t = t.transpose([0, 1, 3, 4, 2])
        tx, ty, tw, th, tscale, tobj, tcls = paddle.split(
            t, [1, 1, 1, 1, 1, 1, t.shape[-1] - 6], axis=-1)
        tscale_obj = tscale * tobj
        x = scale * F.sigmoid(x) - 0.5 * (scale - 1.)
        y = scale * F.sigmoid(y) - 0.5 * (scale - 1.)
        if abs(scale - 1.) < eps:
            lxy = (F.binary_cross_entropy(x, tx, reduction='none')
                   + F.binary_cross_entropy(y, ty, reduction='none'))
        else:
            lxy = paddle.abs(x - tx) + paddle.abs(y - ty)
        loss = {'loss_xy': (tscale_obj * lxy).sum([1, 2, 3, 4]).mean(),
                'loss_wh': (tscale_obj * (paddle.abs(pw - tw) + paddle.abs(ph - th)))
                .sum([1, 2, 3, 4]).mean()}
        if self.iou_loss is not None or self.iou_aware_loss is not None:
            pbox = _to_xyxy(decode_yolo([x, y, pw, ph], anchor, downsample))
            gbox = _to_xyxy(decode_yolo([tx, ty, tw, th], anchor, downsample))
            if self.iou_loss is not None:
                li = self.iou_loss(pbox, gbox) * tscale_obj
                loss['loss_iou'] = li.sum([1, 2, 3, 4]).mean()
            if self.iou_aware_loss is not None:
                la = self.iou_aware_loss(ioup, pbox, gbox) * tobj
                loss['loss_iou_aware'] = la.sum([1, 2, 3, 4]).mean()
        loss['loss_obj'] = self._obj_loss([x, y, pw, ph], gt_box, obj, tobj, anchor,
                                          downsample).sum(-1).mean()
        loss['loss_cls'] = (self._cls_loss(pcls, tcls) * tobj).sum([1, 2, 3, 4]).mean()
        return loss

    def forward(self, inputs: List[paddle.Tensor], targets: Dict[str, paddle.Tensor],
                anchors: List[List[List[int]]]) -> Dict[str, paddle.Tensor]:
        gt_box = targets['gt_bbox'].astype('float32')
        losses: Dict[str, paddle.Tensor] = {}
        for i, (x, anchor, ds) in enumerate(zip(inputs, anchors, self.downsample)):
            t = targets[f'target{i}'].astype('float32')
            for k, v in self._level_loss(x.astype('float32'), t, gt_box, anchor, ds,
                                         self.scale_x_y).items():
                losses[k] = losses[k] + v if k in losses else v
        losses['loss'] = paddle.add_n(list(losses.values()))
        return losses


def _to_xyxy(box):
    """Bounding-box corners as the IoU losses expect: [x1, y1, x2, y2] list of tensors."""
    cx, cy, w, h = box
    return [cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5]
