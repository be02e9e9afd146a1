"""Batch operators: one random size per batch, padding to the batch's largest image, and
YOLOv3 targets (which need the final input size)."""
from __future__ import annotations

from typing import List, Union

import cv2
import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.data.transform.base import BatchOperator, Sample
from ppdet.data.transform.geometric import INTERPS, resize_sample

__all__ = ['BatchRandomResize', 'PadBatch', 'Gt2YoloTarget']


@register
class BatchRandomResize(BatchOperator):
    """Resize every sample of a batch to one size drawn from target_size (and one
    interpolation when random_interp), so multi-scale training still stacks."""

    def __init__(self, target_size: Union[int, List[int], List[List[int]]], keep_ratio: bool,
                 interp: int = cv2.INTER_NEAREST, random_size: bool = True,
                 random_interp: bool = False) -> None:
        if random_size and not isinstance(target_size, (list, tuple)):
            raise ConfigError('BatchRandomResize: target_size must be a list when random_size '
                              'is true')
        self.target_size = target_size
        self.keep_ratio = keep_ratio
        self.interp = interp
        self.random_size = random_size
        self.random_interp = random_interp

    def batch(self, samples: List[Sample], rng: np.random.Generator) -> List[Sample]:
        ts = self.target_size
        size = ts[int(rng.integers(len(ts)))] if self.random_size else ts
        interp = INTERPS[int(rng.integers(len(INTERPS)))] if self.random_interp else self.interp
        return [resize_sample(s, size, self.keep_ratio, interp) for s in samples]


@register
class PadBatch(BatchOperator):
    """Zero-pad CHW images at right/bottom to the batch's largest size, rounded up to
    pad_to_stride (0: no rounding). Boxes and im_shape are unchanged (padding is at the end)."""

    def __init__(self, pad_to_stride: int = 0) -> None:
        self.pad_to_stride = pad_to_stride

    def batch(self, samples: List[Sample], rng: np.random.Generator) -> List[Sample]:
        shapes = np.array([s['image'].shape for s in samples])
        c, h, w = shapes.max(axis=0)
        if self.pad_to_stride > 0:
            st = self.pad_to_stride
            h, w = int(np.ceil(h / st) * st), int(np.ceil(w / st) * st)
        for s in samples:
            im = s['image']
            if im.shape[1:] == (h, w):
                continue
            out = np.zeros((c, h, w), np.float32)
            out[:, :im.shape[1], :im.shape[2]] = im
            s['image'] = out
        return samples


@register
class Gt2YoloTarget(BatchOperator):
    """YOLOv3 training targets per output level, PaddleDetection's layout and formulas.

    Expects CHW images and gt_bbox as normalised centre-x, centre-y, w, h (NormalizeBox then
    BboxXYXY2XYWH). Each box goes to the anchor with the best shape IoU (and, with iou_thresh
    < 1, to every other anchor above it), in the level whose anchor_mask holds that anchor.
    Output `target{i}`: [len(mask_i), 6 + num_classes, H/ds_i, W/ds_i] float32 with channels
    tx, ty (offset in the cell), tw, th (log of size / anchor), 2 - w*h (loss scale),
    objectness = gt_score, and a one-hot class. gt_score defaults to 1 when no Mixup ran.
    """

    def __init__(self, anchors: List[List[int]], anchor_masks: List[List[int]],
                 downsample_ratios: List[int], num_classes: int = 80,
                 iou_thresh: float = 1.0) -> None:
        if len(anchor_masks) != len(downsample_ratios):
            raise ConfigError(f'Gt2YoloTarget: anchor_masks ({len(anchor_masks)} levels) and '
                              f'downsample_ratios ({len(downsample_ratios)}) differ in length')
        self.anchors = [list(a) for a in anchors]
        self.anchor_masks = [list(m) for m in anchor_masks]
        self.downsample_ratios = list(downsample_ratios)
        self.num_classes = num_classes
        self.iou_thresh = iou_thresh

    @staticmethod
    def _shape_iou(wh: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """IoU of boxes [N,2] and anchors [A,2] aligned at a common corner: [N, A]."""
        inter = np.minimum(wh[:, None, 0], anchors[None, :, 0]) * \
            np.minimum(wh[:, None, 1], anchors[None, :, 1])
        union = wh[:, None, 0] * wh[:, None, 1] + anchors[None, :, 0] * anchors[None, :, 1]
        return inter / np.maximum(union - inter, 1e-10)

    def batch(self, samples: List[Sample], rng: np.random.Generator) -> List[Sample]:
        h, w = samples[0]['image'].shape[1:3]
        anchors = np.asarray(self.anchors, np.float32)
        an_norm = anchors / np.array([w, h], np.float32)
        c = self.num_classes
        for s in samples:
            box = np.asarray(s['gt_bbox'], np.float32).reshape(-1, 4)
            cls = np.asarray(s['gt_class']).reshape(-1).astype(np.int64)
            score = np.asarray(s['gt_score'], np.float32).reshape(-1) if 'gt_score' in s \
                else np.ones(len(box), np.float32)
            valid = (box[:, 2] > 0) & (box[:, 3] > 0) & (score > 0)
            if (cls[valid] >= c).any() or (cls[valid] < 0).any():
                bad = sorted(set(cls[valid][(cls[valid] >= c) | (cls[valid] < 0)].tolist()))
                raise ConfigError(f'Gt2YoloTarget: class labels {bad} do not fit num_classes '
                                  f'{c}; set num_classes to the number of dataset classes')
            box, cls, score = box[valid], cls[valid], score[valid]
            iou = self._shape_iou(box[:, 2:], an_norm) if len(box) else np.zeros((0, 0))
            best = iou.argmax(axis=1) if len(box) else np.zeros(0, np.int64)
            for lvl, (mask, ds) in enumerate(zip(self.anchor_masks, self.downsample_ratios)):
                gh, gw = int(h // ds), int(w // ds)
                t = np.zeros((len(mask), 6 + c, gh, gw), np.float32)
                for slot, an_idx in enumerate(mask):
                    sel = best == an_idx
                    if self.iou_thresh < 1.0 and len(box):
                        sel = sel | (iou[:, an_idx] > self.iou_thresh)
                    self._fill(t, slot, box[sel], cls[sel], score[sel], anchors[an_idx],
                               gw, gh, w, h)
                s[f'target{lvl}'] = t
        return samples

    @staticmethod
    def _fill(t: np.ndarray, slot: int, box: np.ndarray, cls: np.ndarray, score: np.ndarray,
              anchor: np.ndarray, gw: int, gh: int, w: int, h: int) -> None:
        if not len(box):
            return
        gx, gy, bw, bh = box[:, 0], box[:, 1], box[:, 2], box[:, 3]
        gi = np.clip((gx * gw).astype(np.int64), 0, gw - 1)
        gj = np.clip((gy * gh).astype(np.int64), 0, gh - 1)
        # later boxes overwrite earlier ones in the same cell, as a python loop would
        t[slot, 0, gj, gi] = gx * gw - gi
        t[slot, 1, gj, gi] = gy * gh - gj
        t[slot, 2, gj, gi] = np.log(bw * w / anchor[0])
        t[slot, 3, gj, gi] = np.log(bh * h / anchor[1])
        t[slot, 4, gj, gi] = 2.0 - bw * bh
        t[slot, 5, gj, gi] = score
        t[slot, 6 + cls, gj, gi] = 1.0
