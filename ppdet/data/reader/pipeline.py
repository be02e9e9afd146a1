"""Building one batch: per-sample transforms with per-sample randomness, then batch transforms
and collation. Pure functions of (dataset, operators, seed, epoch, indices), so a batch is the
same whichever process builds it."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence

import numpy as np

from ppdet.data.reader.collate import collate
from ppdet.data.transform.base import BaseOperator, apply_ops
from ppdet.data.transform.mixup import Mixup
from ppdet.data.transform.multiscale import ScaleVariants, join_scales, split_by_scale

__all__ = ['Pipeline', 'sample_rng', 'batch_rng']

_BATCH_STREAM = 1  # separates batch-level random streams from per-sample ones


def sample_rng(seed: int, epoch: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch, index])


def batch_rng(seed: int, epoch: int, batch_index: int) -> np.random.Generator:
    return np.random.default_rng([seed, epoch, batch_index, _BATCH_STREAM])


@dataclass(frozen=True)
class Pipeline:
    """Everything a worker needs to turn dataset indices into a batch."""
    sample_transforms: Sequence[BaseOperator]
    batch_transforms: Sequence[BaseOperator]
    collate_batch: bool
    mixup_epoch: int

    def mixup_active(self, epoch: int) -> bool:
        """PaddleDetection's rule: mixup_epoch 0 = always, -1 = never, n = first n epochs."""
        if not any(isinstance(op, Mixup) for op in self.sample_transforms):
            return False
        return self.mixup_epoch == 0 or epoch < self.mixup_epoch

    def sample(self, dataset: Any, index: int, seed: int, epoch: int) -> Dict[str, Any]:
        rng = sample_rng(seed, epoch, index)
        data: Any = dataset[index]
        if self.mixup_active(epoch) and len(dataset) > 1:
            other = int(rng.integers(len(dataset)))
            data = [data, dataset[other]]
        data = apply_ops(self.sample_transforms, data, rng)
        if isinstance(data, list) and not isinstance(data, ScaleVariants):
            return data[0]
        return data

    def batch(self, dataset: Any, indices: List[int], batch_index: int, seed: int,
              epoch: int) -> Dict[str, Any]:
        samples = [self.sample(dataset, i, seed, epoch) for i in indices]
        return join_scales([
            collate(apply_ops(self.batch_transforms, scale, batch_rng(seed, epoch, batch_index)),
                    self.collate_batch)
            for scale in split_by_scale(samples)])
