"""Mixup: blend two samples and keep both sets of boxes, weighted by gt_score."""
from __future__ import annotations

from typing import List, Union

import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.data.transform.base import BaseOperator, Sample

__all__ = ['Mixup']


def _score(sample: Sample) -> np.ndarray:
    if 'gt_score' in sample:
        return np.asarray(sample['gt_score'], np.float32).reshape(-1, 1)
    return np.ones((len(sample.get('gt_bbox', ())), 1), np.float32)


@register
class Mixup(BaseOperator):
    """Blend a pair [a, b] with factor ~ Beta(alpha, beta): image = a*f + b*(1-f) on a canvas
    of the larger size; boxes (and polygons) of both, gt_score = f for a's boxes and 1-f for
    b's.

    The reader hands Mixup a pair while epoch < mixup_epoch; a single sample passes through.
    Every output carries gt_score (1 when one side wins outright), so batches stay uniform.
    """

    def __init__(self, alpha: float = 1.5, beta: float = 1.5) -> None:
        if alpha <= 0 or beta <= 0:
            raise ConfigError(f'Mixup: alpha and beta must be > 0, got {alpha}, {beta}')
        self.alpha = alpha
        self.beta = beta

    def __call__(self, sample: Union[Sample, List[Sample]],
                 rng: np.random.Generator) -> Sample:
        if not isinstance(sample, list):
            return sample
        if len(sample) == 1:
            return sample[0]
        a, b = sample[0], sample[1]
        f = float(np.clip(rng.beta(self.alpha, self.beta), 0.0, 1.0))
        if f >= 1.0 or f <= 0.0:
            out = a if f >= 1.0 else b
            out['gt_score'] = _score(out)
            return out
        score = np.concatenate([_score(a) * f, _score(b) * (1.0 - f)], axis=0)
        ia, ib = a['image'], b['image']
        h, w = max(ia.shape[0], ib.shape[0]), max(ia.shape[1], ib.shape[1])
        im = np.zeros((h, w, ia.shape[2]), np.float32)
        im[:ia.shape[0], :ia.shape[1]] = ia.astype(np.float32) * np.float32(f)
        im[:ib.shape[0], :ib.shape[1]] += ib.astype(np.float32) * np.float32(1.0 - f)
        out = a
        out['image'] = im
        out['h'], out['w'] = h, w
        out['im_shape'] = np.array([h, w], np.float32)
        for key in ('gt_bbox', 'gt_class', 'is_crowd', 'difficult'):
            if key in a and key in b:
                out[key] = np.concatenate([a[key], b[key]], axis=0)
        if 'gt_poly' in a and 'gt_poly' in b:  # both images sit at (0, 0): no shift
            out['gt_poly'] = list(a['gt_poly']) + list(b['gt_poly'])
        out['gt_score'] = score.astype(np.float32)
        return out
