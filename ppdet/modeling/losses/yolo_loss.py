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
    """IoU of xyxy boxes [B, M1, 4] x [B, M2, 4] -> [B, M1, M2]."""
    a = box1.unsqueeze(2)
    b = box2.unsqueeze(1)
    lt = paddle.maximum(a[..., 0:2], b[..., 0:2])
    rb = paddle.minimum(a[..., 2:4], b[..., 2:4])
    overlap = (rb - lt).clip(0).prod(-1)
    area1 = (a[..., 2:4] - a[..., 0:2]).clip(0).prod(-1)
    area2 = (b[..., 2:4] - b[..., 0:2]).clip(0).prod(-1)
    return overlap / (area1 + area2 - overlap + eps)


def _grid(h: int, w: int, dtype) -> paddle.Tensor:
    yv, xv = paddle.meshgrid([paddle.arange(h), paddle.arange(w)])
    return paddle.stack((xv, yv), 2).cast(dtype)


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
        cx, cy, w, h = decode_yolo(pbox, anchor, downsample)
        b = cx.shape[0]
        pxyxy = paddle.concat([cx - w * 0.5, cy - h * 0.5, cx + w * 0.5, cy + h * 0.5],
                              axis=-1).reshape([b, -1, 4])
        gxyxy = paddle.concat([gbox[:, :, 0:2] - gbox[:, :, 2:4] * 0.5,
                               gbox[:, :, 0:2] + gbox[:, :, 2:4] * 0.5], axis=-1)
        iou = batch_iou_similarity(pxyxy, gxyxy)
        iou.stop_gradient = True
        iou_mask = paddle.cast(iou.max(2) <= self.ignore_thresh, pxyxy.dtype)
        iou_mask.stop_gradient = True
        pobj = pobj.reshape([b, -1])
        tobj = tobj.reshape([b, -1])
        obj_mask = paddle.cast(tobj > 0, pxyxy.dtype)
        obj_mask.stop_gradient = True
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
        x, y, pw, ph = p[..., 0:1], p[..., 1:2], p[..., 2:3], p[..., 3:4]
        obj, pcls = p[..., 4:5], p[..., 5:]
        t = t.transpose([0, 1, 3, 4, 2])
        tx, ty, tw, th = t[..., 0:1], t[..., 1:2], t[..., 2:3], t[..., 3:4]
        tscale, tobj, tcls = t[..., 4:5], t[..., 5:6], t[..., 6:]
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
