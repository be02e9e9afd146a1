"""Pascal VOC mean average precision, computed per class from ranked detections.

Conventions (the facts, and our choices):
- Box areas and overlaps use the VOC devkit's pixel-inclusive `+1` (w = x2 - x1 + 1) when boxes
  are in pixels, as PaddleDetection's VOC metric does with `is_bbox_normalized=False`; with
  normalised boxes (0..1) no `+1` is added. Our default follows both: pixels, `+1`.
- A detection is a true positive when its best IoU with a not-yet-matched ground truth of its
  class, in its image, is > overlap_thresh (strictly, as the devkit). Within an image detections
  are matched in descending score order (the devkit's global ranking gives the same result;
  PaddleDetection matches in the order given, which differs only for unsorted input).
- Difficult ground truth (evaluate_difficult=False): not counted as positives; a detection whose
  best match is difficult is neither a true nor a false positive.
- Classes without ground truth are left out of the mean (reported as None); a class with
  ground truth but no detection has AP 0.
- AP modes: '11point' (VOC2007: mean over recall 0, 0.1, ..., 1 of the best precision at recall
  >= r); 'integral' (PaddleDetection 2.x: sum of precision x recall increase, no precision
  envelope — same numbers as PaddleDetection's logs); 'area' (VOC2010+ devkit: area under the
  monotone precision envelope). 'integral' and 'area' differ only when precision rises again
  after a false positive.
"""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

MAP_TYPES = ('11point', 'integral', 'area')


def pairwise_iou(a: np.ndarray, b: np.ndarray, normalized: bool = False) -> np.ndarray:
    """IoU of boxes a [N,4] and b [M,4] (x1, y1, x2, y2) -> [N, M]."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    one = 0.0 if normalized else 1.0
    area_a = np.clip(a[:, 2] - a[:, 0] + one, 0, None) * np.clip(a[:, 3] - a[:, 1] + one, 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0] + one, 0, None) * np.clip(b[:, 3] - b[:, 1] + one, 0, None)
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]) + one
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]) + one
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def average_precision(tp: Sequence[int], fp: Sequence[int], num_pos: int,
                      map_type: str = '11point') -> float:
    """AP from true/false-positive flags of detections already sorted by descending score."""
    if map_type not in MAP_TYPES:
        raise ValueError(f'map_type {map_type!r}: choose one of {MAP_TYPES}')
    if num_pos <= 0:
        raise ValueError('average_precision needs at least one positive')
    tp_c = np.cumsum(np.asarray(tp, np.float64))
    fp_c = np.cumsum(np.asarray(fp, np.float64))
    if tp_c.size == 0:
        return 0.0
    recall = tp_c / num_pos
    precision = tp_c / np.maximum(tp_c + fp_c, 1e-12)
    if map_type == '11point':
        total = 0.0
        for t in np.linspace(0.0, 1.0, 11):
            sel = precision[recall >= t - 1e-12]
            total += float(sel.max()) if sel.size else 0.0
        return total / 11.0
    if map_type == 'integral':
        ap, prev = 0.0, 0.0
        for p, r in zip(precision, recall):
            if abs(r - prev) > 1e-6:
                ap += p * abs(r - prev)
                prev = r
        return float(ap)
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


class DetectionMAP:
    """Accumulates matched detections image by image; `accumulate()` computes per-class AP."""

    def __init__(self, class_num: int, overlap_thresh: float = 0.5, map_type: str = '11point',
                 is_bbox_normalized: bool = False, evaluate_difficult: bool = False) -> None:
        if map_type not in MAP_TYPES:
            raise ValueError(f'map_type {map_type!r}: choose one of {MAP_TYPES}')
        self.class_num = class_num
        self.overlap_thresh = overlap_thresh
        self.map_type = map_type
        self.is_bbox_normalized = is_bbox_normalized
        self.evaluate_difficult = evaluate_difficult
        self.reset()

    def reset(self) -> None:
        self.gt_counts = [0] * self.class_num
        self.records: List[List[tuple]] = [[] for _ in range(self.class_num)]  # (score, tp)
        self.class_ap: List[Optional[float]] = [None] * self.class_num
        self.mAP: Optional[float] = None

    def update(self, bbox: np.ndarray, gt_box: np.ndarray, gt_label: np.ndarray,
               difficult: Optional[np.ndarray] = None) -> None:
        """One image: bbox [N,6] (class, score, x1, y1, x2, y2); gt_box [M,4]; gt_label [M]."""
        bbox = np.asarray(bbox, np.float64).reshape(-1, 6)
        gt_box = np.asarray(gt_box, np.float64).reshape(-1, 4)
        gt_label = np.asarray(gt_label).reshape(-1).astype(np.int64)
        diff = (np.zeros(len(gt_label), bool) if difficult is None
                else np.asarray(difficult).reshape(-1).astype(bool))
        for c, d in zip(gt_label, diff):
            if 0 <= c < self.class_num and (self.evaluate_difficult or not d):
                self.gt_counts[c] += 1
        bbox = bbox[bbox[:, 0] >= 0]
        order = np.argsort(-bbox[:, 1], kind='stable')
        bbox = bbox[order]
        for c in np.unique(bbox[:, 0]).astype(np.int64):
            if c >= self.class_num:
                continue
            dets = bbox[bbox[:, 0] == c]
            gsel = gt_label == c
            gts, gdiff = gt_box[gsel], diff[gsel]
            iou = pairwise_iou(dets[:, 2:], gts, self.is_bbox_normalized) if len(gts) else None
            used = np.zeros(len(gts), bool)
            for k, det in enumerate(dets):
                score = float(det[1])
                if iou is None:
                    self.records[c].append((score, 0))
                    continue
                j = int(np.argmax(iou[k]))
                if iou[k, j] > self.overlap_thresh:
                    if gdiff[j] and not self.evaluate_difficult:
                        continue
                    if not used[j]:
                        used[j] = True
                        self.records[c].append((score, 1))
                    else:
                        self.records[c].append((score, 0))
                else:
                    self.records[c].append((score, 0))

    def accumulate(self) -> float:
        """Per-class AP and their mean over classes with ground truth."""
        aps = []
        for c in range(self.class_num):
            if self.gt_counts[c] == 0:
                self.class_ap[c] = None
                continue
            recs = sorted(self.records[c], key=lambda r: -r[0])
            tp = [r[1] for r in recs]
            ap = average_precision(tp, [1 - t for t in tp], self.gt_counts[c], self.map_type)
            self.class_ap[c] = ap
            aps.append(ap)
        self.mAP = float(np.mean(aps)) if aps else 0.0
        return self.mAP
