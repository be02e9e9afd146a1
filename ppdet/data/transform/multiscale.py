"""Multi-scale testing: each image is also resized to further sizes, the model predicts on every
version and the detections are merged (PaddleDetection's `MultiscaleTestResize`).

The operator turns one sample into `ScaleVariants` (a list: the `origin_target_size` version
first, then one per `target_size`); later sample operators apply to each variant. The reader
builds one batch per scale and hands the model the first with the others under
`scale_variants`, so everything that reads a batch (image ids, sizes) sees the usual fields.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Union

import cv2
import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.data.transform.base import BaseOperator, Sample
from ppdet.data.transform.geometric import resize_sample

__all__ = ['MultiscaleTestResize', 'ScaleVariants', 'SCALE_VARIANTS']

SCALE_VARIANTS = 'scale_variants'


class ScaleVariants(list):
    """The versions of one sample at several scales (a list the pipeline keeps whole)."""


@register
class MultiscaleTestResize(BaseOperator):
    """Keep-ratio resizes of one image: to `origin_target_size` ([short, long]), then to each
    size of `target_size` (an int fits the long side, a pair [short, long] as usual)."""

    def __init__(self, origin_target_size: Union[int, List[int]] = [800, 1333],
                 target_size: List[Union[int, List[int]]] = [],
                 interp: int = cv2.INTER_LINEAR, use_flip: bool = True) -> None:
        if use_flip:
            raise ConfigError('MultiscaleTestResize.use_flip: true is not supported (the '
                              'flipped image\'s detections would have to be flipped back '
                              'before merging); set use_flip: false')
        self.origin_target_size = origin_target_size
        self.target_size = list(target_size)
        self.interp = interp
        self.use_flip = use_flip

    def apply(self, sample: Sample, rng: np.random.Generator) -> ScaleVariants:
        sizes = [self.origin_target_size] + self.target_size
        return ScaleVariants(resize_sample(dict(sample), size, True, self.interp)
                             for size in sizes)

    def __call__(self, sample: Any, rng: np.random.Generator) -> Any:
        if isinstance(sample, list) and not isinstance(sample, ScaleVariants):
            raise ConfigError('MultiscaleTestResize works on single images (evaluation and '
                              'inference readers), not after Mixup')
        return self.apply(sample, rng)


def split_by_scale(samples: Sequence[Any]) -> List[List[Sample]]:
    """[image][scale] -> [scale][image]; plain samples are one scale."""
    if not samples or not isinstance(samples[0], ScaleVariants):
        return [list(samples)]
    counts = {len(s) for s in samples}
    if len(counts) != 1:
        raise ConfigError('multi-scale test: images of one batch have different scale counts')
    return [[s[k] for s in samples] for k in range(counts.pop())]


def join_scales(batches: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The first scale's batch, with the others under `scale_variants` (when there are)."""
    first = batches[0]
    if len(batches) > 1:
        first[SCALE_VARIANTS] = batches[1:]
    return first
