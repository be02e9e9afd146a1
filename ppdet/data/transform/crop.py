"""Random crops that keep objects: RandomCrop (SSD/YOLO style) and RandomResizeCrop.

A crop window is accepted when its IoU with some box reaches a randomly ordered threshold;
boxes whose centre falls outside the window are removed, the others are cut to the window and
shifted to its origin. Polygons (`gt_poly`) of the kept objects are clipped to the window and
shifted alike; an object whose polygons vanish in the window (its box's centre inside, its
shape outside) is removed with its box, and a window that would keep no object is rejected.
`is_mask_crop` is accepted for PaddleDetection configs: polygons are always cropped with
their boxes, since a polygon left uncropped would no longer match its box.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import cv2
import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.data.polygon import Polygons, crop_polygons, take_polygons
from ppdet.data.transform.base import BaseOperator, Sample, take_boxes
from ppdet.data.transform.geometric import resize_sample

__all__ = ['RandomCrop', 'RandomResizeCrop', 'box_iou', 'crop_boxes']


def box_iou(boxes: np.ndarray, window: np.ndarray, mode: str = 'iou') -> np.ndarray:
    """IoU (or intersection over box area, mode 'iof') of each box [N,4] with one window."""
    lt = np.maximum(boxes[:, :2], window[:2])
    rb = np.minimum(boxes[:, 2:], window[2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=1)
    area_b = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    if mode == 'iof':
        return inter / np.maximum(area_b, 1e-10)
    area_w = np.prod(window[2:] - window[:2])
    return inter / np.maximum(area_b + area_w - inter, 1e-10)


def crop_boxes(boxes: np.ndarray, window: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Boxes cut to `window` in its coordinates, and the indices whose centre lies inside."""
    out = boxes.copy()
    out[:, :2] = np.maximum(boxes[:, :2], window[:2]) - window[:2]
    out[:, 2:] = np.minimum(boxes[:, 2:], window[2:]) - window[:2]
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    valid = ((centre >= window[:2]) & (centre < window[2:])).all(axis=1)
    valid &= (out[:, :2] < out[:, 2:]).all(axis=1)
    return out, np.flatnonzero(valid)


def _crop_objects(sample: Sample, boxes: np.ndarray, window: np.ndarray
                  ) -> Tuple[np.ndarray, np.ndarray, Optional[Polygons]]:
    """Cropped boxes, indices of the objects kept, and their cropped polygons (None without
    gt_poly): kept = box centre inside the window and, with polygons, some area inside."""
    cropped, keep = crop_boxes(boxes, window)
    if 'gt_poly' not in sample or not keep.size:
        return cropped, keep, None
    polys, has_area = crop_polygons(take_polygons(sample['gt_poly'], keep), window)
    return cropped, keep[has_area], take_polygons(polys, has_area)


def _apply_window(sample: Sample, window: np.ndarray, cropped: np.ndarray,
                  keep: np.ndarray, polys: Optional[Polygons]) -> Sample:
    x1, y1, x2, y2 = (int(v) for v in window)
    sample['image'] = sample['image'][y1:y2, x1:x2]
    take_boxes(sample, keep)
    sample['gt_bbox'] = cropped[keep].astype(np.float32)
    if polys is not None:
        sample['gt_poly'] = polys
    sample['im_shape'] = np.array([y2 - y1, x2 - x1], np.float32)
    return sample


def _shuffled(items: Sequence, rng: np.random.Generator) -> list:
    return [items[i] for i in rng.permutation(len(items))]


def _crop_by_iou(op: Any, sample: Sample, rng: np.random.Generator,
                 propose: Callable[[np.random.Generator], Optional[np.ndarray]]) -> Sample:
    """The IoU-constrained crop search shared by RandomCrop and RandomResizeCrop: try the
    thresholds (and 'no crop') in random order, `op.num_attempts` windows each; take the first
    window that overlaps the boxes enough and keeps at least one box."""
    boxes = sample['gt_bbox']
    options: list = list(op.thresholds) + (['no_crop'] if op.allow_no_crop else [])
    for thresh in _shuffled(options, rng):
        if thresh == 'no_crop':
            return sample
        for _ in range(op.num_attempts):
            window = propose(rng)
            if window is None:
                continue
            iou = box_iou(boxes, window, op.ioumode)
            if iou.max() < thresh or (op.cover_all_box and iou.min() < thresh):
                continue
            cropped, keep, polys = _crop_objects(sample, boxes, window)
            if keep.size:
                return _apply_window(sample, window, cropped, keep, polys)
    return sample


@register
class RandomCrop(BaseOperator):
    """Crop a window of random scale/aspect that overlaps the boxes (PaddleDetection semantics:
    thresholds tried in random order, 'no crop' among them when allow_no_crop)."""

    def __init__(self, aspect_ratio: Optional[List[float]] = (0.5, 2.0),
                 thresholds: List[float] = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9),
                 scaling: List[float] = (0.3, 1.0), num_attempts: int = 50,
                 allow_no_crop: bool = True, cover_all_box: bool = False,
                 is_mask_crop: bool = False, ioumode: str = 'iou', prob: float = 1.0) -> None:
        if ioumode not in ('iou', 'iof'):
            raise ConfigError(f'RandomCrop: ioumode must be "iou" or "iof", got {ioumode!r}')
        self.aspect_ratio = list(aspect_ratio) if aspect_ratio is not None else None
        self.thresholds = list(thresholds)
        self.scaling = list(scaling)
        self.num_attempts = num_attempts
        self.allow_no_crop = allow_no_crop
        self.cover_all_box = cover_all_box
        self.is_mask_crop = is_mask_crop  # accepted: polygons are always cropped
        self.ioumode = ioumode
        self.prob = prob

    def _window(self, h: int, w: int, rng: np.random.Generator) -> Optional[np.ndarray]:
        scale = rng.uniform(*self.scaling)
        if self.aspect_ratio is not None:
            lo, hi = self.aspect_ratio
            ar = rng.uniform(max(lo, scale ** 2), min(hi, scale ** -2))
            hs, ws = scale / np.sqrt(ar), scale * np.sqrt(ar)
        else:
            hs, ws = rng.uniform(*self.scaling), rng.uniform(*self.scaling)
            if not 0.5 <= hs * h / (ws * w) <= 2.0:
                return None
        ch, cw = min(int(h * hs), h), min(int(w * ws), w)
        if ch < 1 or cw < 1:
            return None
        y, x = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        return np.array([x, y, x + cw, y + ch], np.float32)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        boxes = sample.get('gt_bbox')
        if boxes is None or len(boxes) == 0 or rng.uniform() > self.prob:
            return sample
        h, w = sample['image'].shape[:2]
        return _crop_by_iou(self, sample, rng, lambda r: self._window(h, w, r))


@register
class RandomResizeCrop(BaseOperator):
    """With probability prob: resize to one of `resizes` (mode 'short': the short side reaches
    the target; 'long': the image fits in it), then crop a window whose sides are drawn from
    one of `cropsizes` [min, max], accepted by IoU thresholds as in RandomCrop."""

    def __init__(self, resizes: List[Union[int, List[int]]],
                 cropsizes: List[Union[int, List[int]]], prob: float = 0.5,
                 mode: str = 'short', keep_ratio: bool = True, interp: int = cv2.INTER_LINEAR,
                 num_attempts: int = 3, cover_all_box: bool = False,
                 allow_no_crop: bool = False, thresholds: List[float] = (0.3, 0.5, 0.7),
                 is_mask_crop: bool = False, ioumode: str = 'iou') -> None:
        if mode not in ('short', 'long'):
            raise ConfigError(f'RandomResizeCrop: mode must be "short" or "long", got {mode!r}')
        self.resizes = resizes
        self.cropsizes = cropsizes
        self.prob = prob
        self.mode = mode
        self.keep_ratio = keep_ratio
        self.interp = interp
        self.num_attempts = num_attempts
        self.cover_all_box = cover_all_box
        self.allow_no_crop = allow_no_crop
        self.thresholds = list(thresholds)
        self.is_mask_crop = is_mask_crop
        self.ioumode = ioumode

    @staticmethod
    def _pair(size: Union[int, List[int]]) -> List[int]:
        return [int(size), int(size)] if isinstance(size, (int, np.integer)) else list(size)

    def _resize(self, sample: Sample, size: List[int]) -> Sample:
        if not self.keep_ratio:
            return resize_sample(sample, size, False, self.interp)
        h, w = sample['image'].shape[:2]
        ratios = (min(size) / min(h, w), max(size) / max(h, w))
        s = min(ratios) if self.mode == 'long' else max(ratios)
        target = [max(1, int(h * s + 0.5)), max(1, int(w * s + 0.5))]
        return resize_sample(sample, target, False, self.interp)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        if rng.uniform() >= self.prob:
            return sample
        size = self._pair(self.resizes[int(rng.integers(len(self.resizes)))])
        crop = self._pair(self.cropsizes[int(rng.integers(len(self.cropsizes)))])
        sample = self._resize(sample, size)
        boxes = sample.get('gt_bbox')
        if boxes is None or len(boxes) == 0:
            return sample
        h, w = sample['image'].shape[:2]
        lo, hi = min(crop), max(crop)

        def propose(r: np.random.Generator) -> np.ndarray:
            ch = int(r.integers(min(lo, h), min(h, hi) + 1))
            cw = int(r.integers(min(lo, w), min(w, hi) + 1))
            y, x = int(r.integers(0, h - ch + 1)), int(r.integers(0, w - cw + 1))
            return np.array([x, y, x + cw, y + ch], np.float32)
        return _crop_by_iou(self, sample, rng, propose)
