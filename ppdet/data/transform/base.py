"""Operators on sample dicts, and how a list of them runs.

A sample is a dict: `image` (HWC, RGB; uint8 after Decode, float32 after photometric ops,
CHW after Permute), `im_shape` [h, w] float32, `scale_factor` [sy, sx] float32 (resized size /
original size), `gt_bbox` [N,4] float32 xyxy pixels, `gt_class`/`is_crowd`/`difficult` [N,1]
int32, after Mixup `gt_score` [N,1] float32, and for instance masks `gt_poly` (per object, its
polygons as flat float32 arrays in the same pixels as gt_bbox; see ppdet.data.polygon):
every geometric operator moves them exactly as it moves the boxes.

Randomness never comes from a global generator: every call receives a `numpy.random.Generator`
that the reader derives from (seed, epoch, sample index) — or (seed, epoch, batch index) for
batch operators — so results do not depend on worker count or scheduling.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Union

import numpy as np

from ppdet.data.polygon import take_polygons

__all__ = ['BaseOperator', 'BatchOperator', 'Sample', 'apply_ops', 'take_boxes', 'BOX_FIELDS']

Sample = Dict[str, Any]
BOX_FIELDS = ('gt_bbox', 'gt_class', 'is_crowd', 'difficult', 'gt_score')


def take_boxes(sample: Sample, keep: np.ndarray) -> None:
    """Keep only the boxes selected by `keep` (index array or mask) in every per-box field,
    polygons (`gt_poly`) included."""
    for k in BOX_FIELDS:
        if k in sample:
            sample[k] = sample[k][keep]
    if 'gt_poly' in sample:
        sample['gt_poly'] = take_polygons(sample['gt_poly'], keep)


class BaseOperator:
    """A sample operator: `apply(sample, rng)`; called on a list it applies to each item.

    Operators are configured once and hold no per-sample state, so one instance serves every
    worker process.
    """

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        return sample

    def __call__(self, sample: Union[Sample, List[Sample]],
                 rng: np.random.Generator) -> Union[Sample, List[Sample]]:
        if isinstance(sample, list):  # keeps the list's kind (scale variants stay variants)
            return type(sample)(self.apply(s, rng) for s in sample)
        return self.apply(sample, rng)

    def __repr__(self) -> str:
        args = ', '.join(f'{k}={v!r}' for k, v in vars(self).items() if not k.startswith('_'))
        return f'{type(self).__name__}({args})'


class BatchOperator(BaseOperator):
    """An operator that needs the whole batch (one random size per batch, padding to the
    largest image, ...). `__call__` receives the list of samples of one batch."""

    def batch(self, samples: List[Sample], rng: np.random.Generator) -> List[Sample]:
        raise NotImplementedError

    def __call__(self, sample: Union[Sample, List[Sample]],
                 rng: np.random.Generator) -> Union[Sample, List[Sample]]:
        if isinstance(sample, list):
            return self.batch(sample, rng)
        return self.batch([sample], rng)[0]


def apply_ops(ops: Sequence[BaseOperator], data: Any, rng: np.random.Generator) -> Any:
    for op in ops:
        data = op(data, rng)
    return data
