"""Resizing, flipping, padding and expanding: pixels, boxes and polygons move together.

Boxes are pixel-edge xyxy coordinates: a box [x1, x2) scaled by s becomes [s*x1, s*x2), a
horizontal flip of an image w wide maps it to [w - x2, w - x1), a paste at offset (ox, oy)
shifts it by the offset. Resized boxes are clipped to the new image. Polygons (`gt_poly`)
take the same maps point by point (x -> s*x, x -> w - x, x -> x + ox), so a polygon's extent
stays its box's.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Union

import cv2
import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.data.polygon import flip_polygons, scale_polygons, shift_polygons
from ppdet.data.transform.base import BaseOperator, Sample

__all__ = ['Resize', 'RandomResize', 'RandomFlip', 'Pad', 'RandomExpand', 'resize_sample',
           'INTERPS', 'paste_image']

INTERPS = (cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_AREA, cv2.INTER_CUBIC,
           cv2.INTER_LANCZOS4)
Size = Union[int, List[int]]


def _pair(size: Size, name: str) -> List[int]:
    if isinstance(size, (int, np.integer)):
        return [int(size), int(size)]
    if isinstance(size, (list, tuple)) and len(size) == 2:
        return [int(size[0]), int(size[1])]
    raise ConfigError(f'{name}: target_size must be an int or [h, w], got {size!r}')


def resize_sample(sample: Sample, target_size: Size, keep_ratio: bool, interp: int) -> Sample:
    """Resize image and boxes; keep_ratio scales so the image fits target's (short, long).

    With keep_ratio the image is resized by the scale factor itself (OpenCV's fx/fy), as
    PaddleDetection does: OpenCV samples at exactly that scale and rounds the output size,
    while `im_shape` keeps the unrounded scale * side (e.g. 1066.67 for 640 px at 5/3), which
    the models clip proposals and boxes to.
    """
    im = sample['image']
    h, w = im.shape[:2]
    th, tw = _pair(target_size, 'Resize')
    if keep_ratio:
        scale = min(min(th, tw) / min(h, w), max(th, tw) / max(h, w))
        new_h, new_w = scale * float(h), scale * float(w)
        sy = sx = scale
        sample['image'] = cv2.resize(im, None, None, fx=scale, fy=scale,
                                     interpolation=int(interp))
    else:
        new_h, new_w = th, tw
        sy, sx = th / h, tw / w
        sample['image'] = cv2.resize(im, (new_w, new_h), interpolation=int(interp))
    sample['im_shape'] = np.array([new_h, new_w], np.float32)
    sf = sample.get('scale_factor', np.ones(2, np.float32))
    sample['scale_factor'] = np.array([sf[0] * sy, sf[1] * sx], np.float32)
    box = sample.get('gt_bbox')
    if box is not None and len(box):
        box = box * np.array([sx, sy, sx, sy], np.float32)
        box[:, 0::2] = np.clip(box[:, 0::2], 0, new_w)
        box[:, 1::2] = np.clip(box[:, 1::2], 0, new_h)
        sample['gt_bbox'] = box.astype(np.float32)
    if sample.get('gt_poly'):
        sample['gt_poly'] = scale_polygons(sample['gt_poly'], sx, sy, new_w, new_h)
    return sample


def _shift(sample: Sample, dx: int, dy: int) -> None:
    """Move boxes and polygons by the offset at which the image was pasted."""
    box = sample.get('gt_bbox')
    if box is not None and len(box):
        sample['gt_bbox'] = box + np.array([dx, dy, dx, dy], np.float32)
    if sample.get('gt_poly'):
        sample['gt_poly'] = shift_polygons(sample['gt_poly'], dx, dy)


@register
class Resize(BaseOperator):
    """Resize to target_size [h, w] (keep_ratio: fit the short/long sides into it)."""

    def __init__(self, target_size: Size, keep_ratio: bool,
                 interp: int = cv2.INTER_LINEAR) -> None:
        self.target_size = _pair(target_size, 'Resize')
        self.keep_ratio = keep_ratio
        self.interp = interp

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        return resize_sample(sample, self.target_size, self.keep_ratio, self.interp)


@register
class RandomResize(BaseOperator):
    """Resize to a size drawn from target_size (random_size), or a short side drawn from a
    [[min_short, long], [max_short, long]] range (random_range)."""

    def __init__(self, target_size: Union[int, List[int], List[List[int]]],
                 keep_ratio: bool = True, interp: int = cv2.INTER_LINEAR,
                 random_range: bool = False, random_size: bool = True,
                 random_interp: bool = False) -> None:
        if (random_range or random_size) and not isinstance(target_size, (list, tuple)):
            raise ConfigError('RandomResize: target_size must be a list when random_size or '
                              'random_range is true')
        if random_range and len(target_size) != 2:
            raise ConfigError('RandomResize: random_range needs target_size '
                              '[[min_short, long], [max_short, long]]')
        self.target_size = target_size
        self.keep_ratio = keep_ratio
        self.interp = interp
        self.random_range = random_range
        self.random_size = random_size
        self.random_interp = random_interp

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        ts = self.target_size
        if self.random_range:
            short = int(rng.integers(ts[0][0], ts[1][0] + 1))
            size: Size = [short, max(ts[0][1], ts[1][1] + 1)]
        elif self.random_size:
            size = ts[int(rng.integers(len(ts)))]
        else:
            size = ts
        interp = INTERPS[int(rng.integers(len(INTERPS)))] if self.random_interp else self.interp
        return resize_sample(sample, size, self.keep_ratio, interp)


@register
class RandomFlip(BaseOperator):
    """Flip left-right with probability prob."""

    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        if rng.uniform() >= self.prob:
            return sample
        im = sample['image']
        w = im.shape[1]
        sample['image'] = cv2.flip(im, 1) if im.ndim == 3 and im.shape[2] <= 4 else im[:, ::-1]
        box = sample.get('gt_bbox')
        if box is not None and len(box):
            flipped = box.copy()
            flipped[:, 0] = w - box[:, 2]
            flipped[:, 2] = w - box[:, 0]
            sample['gt_bbox'] = flipped
        if sample.get('gt_poly'):
            sample['gt_poly'] = flip_polygons(sample['gt_poly'], w)
        return sample


def paste_image(im: np.ndarray, size: Sequence[int], offsets: Sequence[int],
                fill_value: Sequence[float]) -> np.ndarray:
    """Put `im` at (x, y) = offsets on a canvas of `size` [h, w] filled with fill_value.

    A uint8 image stays uint8 (fill rounded) — four times less memory than float32 for large
    expansions; other images are pasted on a float32 canvas.
    """
    h, w = int(size[0]), int(size[1])
    ih, iw = im.shape[:2]
    x, y = int(offsets[0]), int(offsets[1])
    if im.dtype != np.uint8:
        im = im.astype(np.float32, copy=False)
    fill = [float(v) for v in fill_value]
    if im.dtype == np.uint8:
        fill = [float(np.clip(round(v), 0, 255)) for v in fill]
    if im.ndim == 3 and im.shape[2] <= 4:  # one C++ pass: ~3x faster than fill + copy
        return cv2.copyMakeBorder(im, y, h - ih - y, x, w - iw - x, cv2.BORDER_CONSTANT,
                                  value=tuple(fill[:im.shape[2]]) + (0.0,) * (4 - im.shape[2]))
    canvas = np.empty((h, w) + im.shape[2:], im.dtype)
    canvas[...] = np.asarray(fill, canvas.dtype)[:im.shape[2]] if im.ndim == 3 else fill[0]
    canvas[y:y + ih, x:x + iw] = im
    return canvas


@register
class Pad(BaseOperator):
    """Pad to `size` [h, w] or up to a multiple of size_divisor.

    pad_mode: -1 image at `offsets` [x, y]; 0 at top-left (padding right/bottom); 1 centred;
    2 at bottom-right. `im_shape` is left alone: it is the valid region the model sees.
    """

    def __init__(self, size: Optional[Size] = None, size_divisor: int = 32, pad_mode: int = 0,
                 offsets: Optional[List[int]] = None,
                 fill_value: Union[float, List[float]] = (127.5, 127.5, 127.5)) -> None:
        if pad_mode not in (-1, 0, 1, 2):
            raise ConfigError(f'Pad: pad_mode must be -1, 0, 1 or 2, got {pad_mode}')
        if pad_mode == -1 and offsets is None:
            raise ConfigError('Pad: pad_mode -1 needs offsets: [x, y]')
        self.size = _pair(size, 'Pad') if size is not None else None
        self.size_divisor = size_divisor
        self.pad_mode = pad_mode
        self.offsets = offsets
        fv = fill_value
        self.fill_value = [float(fv)] * 3 if isinstance(fv, (int, float)) else list(fv)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        im = sample['image']
        ih, iw = im.shape[:2]
        if self.size is not None:
            h, w = self.size
            if ih > h or iw > w:
                raise ConfigError(f'Pad: image {ih}x{iw} is larger than size {h}x{w}')
        else:
            d = self.size_divisor
            h, w = int(np.ceil(ih / d) * d), int(np.ceil(iw / d) * d)
        if (h, w) == (ih, iw):
            return sample
        if self.pad_mode == -1:
            ox, oy = self.offsets
        elif self.pad_mode == 0:
            ox, oy = 0, 0
        elif self.pad_mode == 1:
            ox, oy = (w - iw) // 2, (h - ih) // 2
        else:
            ox, oy = w - iw, h - ih
        sample['image'] = paste_image(im, [h, w], [ox, oy], self.fill_value)
        if ox or oy:
            _shift(sample, ox, oy)
        return sample


@register
class RandomExpand(BaseOperator):
    """Paste the image at a random place on a canvas up to `ratio` times larger.

    As in PaddleDetection, `prob` is the probability of *skipping* the expansion (0.5 default
    makes the two readings equal).
    """

    def __init__(self, ratio: float = 4.0, prob: float = 0.5,
                 fill_value: Union[float, List[float]] = (127.5, 127.5, 127.5)) -> None:
        if ratio <= 1.01:
            raise ConfigError(f'RandomExpand: ratio must be larger than 1.01, got {ratio}')
        self.ratio = ratio
        self.prob = prob
        fv = fill_value
        self.fill_value = [float(fv)] * 3 if isinstance(fv, (int, float)) else list(fv)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        if rng.uniform() < self.prob:
            return sample
        im = sample['image']
        ih, iw = im.shape[:2]
        r = rng.uniform(1.0, self.ratio)
        h, w = int(ih * r), int(iw * r)
        if h <= ih or w <= iw:
            return sample
        y, x = int(rng.integers(0, h - ih)), int(rng.integers(0, w - iw))
        sample['image'] = paste_image(im, [h, w], [x, y], self.fill_value)
        sample['im_shape'] = np.array([h, w], np.float32)
        _shift(sample, x, y)
        return sample
