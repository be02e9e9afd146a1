"""Pixel-value operators: colour distortion, normalisation, layout. Boxes are untouched."""
from __future__ import annotations

from typing import List

import cv2
import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.data.transform.base import BaseOperator, Sample

__all__ = ['NormalizeImage', 'Permute', 'RandomDistort']

_RGB2YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.321],
                     [0.211, -0.523, 0.311]], np.float64)
_YIQ2RGB = np.array([[1.0, 0.956, 0.621], [1.0, -0.272, -0.647],
                     [1.0, -1.107, 1.705]], np.float64)
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


@register
class NormalizeImage(BaseOperator):
    """image = (image / 255 if is_scale) - mean) / std (norm_type 'mean_std'), as float32.

    Done as one multiply-add with precomputed factors: the same numbers, one pass less.
    """

    def __init__(self, mean: List[float] = (0.485, 0.456, 0.406),
                 std: List[float] = (0.229, 0.224, 0.225), is_scale: bool = True,
                 norm_type: str = 'mean_std') -> None:
        if norm_type not in ('mean_std', 'none'):
            raise ConfigError(f'NormalizeImage: norm_type must be "mean_std" or "none", '
                              f'got {norm_type!r}')
        if norm_type == 'mean_std' and any(s == 0 for s in std):
            raise ConfigError(f'NormalizeImage: std must not contain 0, got {list(std)}')
        self.mean = list(mean)
        self.std = list(std)
        self.is_scale = is_scale
        self.norm_type = norm_type
        scale = 1.0 / 255.0 if is_scale else 1.0
        if norm_type == 'mean_std':
            std_a = np.asarray(std, np.float32)
            self._mul = (scale / std_a).astype(np.float32)
            self._add = (-np.asarray(mean, np.float32) / std_a).astype(np.float32)
        else:
            self._mul = np.full(3, scale, np.float32)
            self._add = np.zeros(3, np.float32)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        im = sample['image'].astype(np.float32)
        im *= self._mul
        im += self._add
        sample['image'] = im
        return sample


@register
class Permute(BaseOperator):
    """HWC -> CHW, the layout the model takes."""

    def __init__(self) -> None:
        pass

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        sample['image'] = np.ascontiguousarray(sample['image'].transpose(2, 0, 1))
        return sample


@register
class RandomDistort(BaseOperator):
    """Random hue, saturation, contrast and brightness, PaddleDetection's formulas and settings.

    Each setting is [low, high, prob]; as in PaddleDetection a distortion is *skipped* when a
    uniform draw is below prob. random_apply: `count` distortions in random order; otherwise a
    fixed order (brightness, contrast first or last, saturation, hue) and optional channel swap.
    """

    def __init__(self, hue: List[float] = (-18, 18, 0.5),
                 saturation: List[float] = (0.5, 1.5, 0.5),
                 contrast: List[float] = (0.5, 1.5, 0.5),
                 brightness: List[float] = (0.5, 1.5, 0.5), random_apply: bool = True,
                 count: int = 4, random_channel: bool = False) -> None:
        for name, v in (('hue', hue), ('saturation', saturation), ('contrast', contrast),
                        ('brightness', brightness)):
            if len(v) != 3:
                raise ConfigError(f'RandomDistort: {name} must be [low, high, prob], got {v}')
        self.hue = list(hue)
        self.saturation = list(saturation)
        self.contrast = list(contrast)
        self.brightness = list(brightness)
        self.random_apply = random_apply
        self.count = count
        self.random_channel = random_channel

    @staticmethod
    def _draw(setting: List[float], rng: np.random.Generator):
        low, high, prob = setting
        if rng.uniform() < prob:
            return None
        return rng.uniform(low, high)

    def _hue(self, im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        d = self._draw(self.hue, rng)
        if d is None:
            return im
        u, w = np.cos(d * np.pi), np.sin(d * np.pi)
        rot = np.array([[1.0, 0.0, 0.0], [0.0, u, -w], [0.0, w, u]])
        t = (_YIQ2RGB @ rot @ _RGB2YIQ).astype(np.float32)  # out = t @ pixel
        return cv2.transform(im.astype(np.float32, copy=False), t)

    def _saturation(self, im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        d = self._draw(self.saturation, rng)
        if d is None:
            return im
        im = im.astype(np.float32, copy=False)
        gray = cv2.transform(im, (_LUMA * (1.0 - d)).reshape(1, 3))
        im = im * np.float32(d)
        im += gray[:, :, None] if gray.ndim == 2 else gray
        return im

    def _contrast(self, im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        d = self._draw(self.contrast, rng)
        return im if d is None else im.astype(np.float32, copy=False) * np.float32(d)

    def _brightness(self, im: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        d = self._draw(self.brightness, rng)
        return im if d is None else im.astype(np.float32, copy=False) + np.float32(d)

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        im = sample['image']
        if self.random_apply:
            funcs = [self._brightness, self._contrast, self._saturation, self._hue]
            for i in rng.permutation(len(funcs))[:self.count]:
                im = funcs[i](im, rng)
        else:
            im = self._brightness(im, rng)
            contrast_first = bool(rng.integers(0, 2))
            if contrast_first:
                im = self._contrast(im, rng)
            im = self._saturation(im, rng)
            im = self._hue(im, rng)
            if not contrast_first:
                im = self._contrast(im, rng)
            if self.random_channel and rng.integers(0, 2):
                im = im[..., rng.permutation(3)]
        sample['image'] = im.astype(np.float32, copy=False)
        return sample
