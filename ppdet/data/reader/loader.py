"""TrainReader / EvalReader / TestReader: index order, batching, workers.

A reader yields batches as dicts of numpy arrays:

    image        [B, C, H, W] float32 (after Permute; [B, H, W, C] without it)
    im_shape     [B, 2] float32   (h, w) of the image the model sees, before batch padding
    scale_factor [B, 2] float32   (sy, sx) = model-input size / original size
    im_id        [B] int          image ids (COCO ids or running index)
    h, w         [B] int          original image size
    im_file      list[str]
    gt_bbox      [B, M, 4] float32 when padded (PadBox) — otherwise a list of [N_i, 4] arrays
    gt_class, is_crowd, difficult   [B, M] int32 after PadBox, else lists of [N_i, 1] int32
    gt_score     like gt_class, float32, when Mixup ran
    gt_poly      list (per image) of lists (per object) of polygons, flat float32 arrays in
                 the model-input pixels of gt_bbox; never stacked (data_fields with gt_poly)
    target0..    [B, A, 6+C, H/s, W/s] float32 from Gt2YoloTarget
    num_cut_boxes [B] int32 boxes cut by PadBox (count them; do not lose them silently)

Same-shape arrays are stacked, the rest are lists (see `collate`). Randomness is a function of
(seed, epoch, index): the same seed and epoch give the same batches whatever worker_num is.

Accepted but unused arguments, kept so PaddleDetection configs load: `inputs_def` (shapes
follow from the transforms), `use_shared_memory` (workers return batches through pipes).
"""
from __future__ import annotations

import math
from typing import Any, Dict, Iterator, List, Optional

import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.data.reader.pipeline import Pipeline
from ppdet.data.reader.workers import run_in_workers
from ppdet.data.transform.base import BaseOperator

__all__ = ['BaseDataLoader', 'TrainReader', 'EvalReader', 'TestReader', 'batch_indices']


def batch_indices(n: int, batch_size: int, shuffle: bool, drop_last: bool, seed: int,
                  epoch: int, rank: int = 0, world_size: int = 1) -> List[List[int]]:
    """Index lists of this rank's batches.

    The epoch's order is padded by repeating its start to a multiple of world_size and dealt
    out round-robin: rank r takes positions r, r + W, r + 2W, ... So global step k of W
    processes with batch b sees exactly the samples of step k of one process with batch W*b,
    and data-parallel training follows single-process training on the same global batch.
    """
    if not 0 <= rank < world_size:
        raise ConfigError(f'reader: rank {rank} is outside world_size {world_size}')
    order = np.random.default_rng([seed, epoch]).permutation(n) if shuffle else np.arange(n)
    per_rank = int(math.ceil(n / world_size)) if n else 0
    if per_rank * world_size > n and n:
        order = np.concatenate([order, order[:per_rank * world_size - n]])
    mine = order[rank::world_size].tolist()
    batches = [mine[i:i + batch_size] for i in range(0, len(mine), batch_size)]
    if drop_last and batches and len(batches[-1]) < batch_size:
        batches.pop()
    return batches


class BaseDataLoader:
    """Turns a dataset into batches with the configured transforms.

    `shuffle` and `drop_last` left unset (null) take the reader's own default
    (`default_shuffle`, `default_drop_last`): the three readers differ only there.
    """
    __op_lists__ = ['sample_transforms', 'batch_transforms']
    __shared__ = ['num_classes']
    default_shuffle = False
    default_drop_last = False

    def __init__(self, sample_transforms: Optional[List[BaseOperator]] = None,
                 batch_transforms: Optional[List[BaseOperator]] = None, batch_size: int = 1,
                 shuffle: Optional[bool] = None, drop_last: Optional[bool] = None,
                 num_classes: int = 80,
                 collate_batch: bool = True, use_shared_memory: bool = False,
                 mixup_epoch: int = -1, inputs_def: Optional[Dict[str, Any]] = None) -> None:
        if batch_size < 1:
            raise ConfigError(f'{type(self).__name__}: batch_size must be >= 1, got {batch_size}')
        self.sample_transforms = list(sample_transforms or [])
        self.batch_transforms = list(batch_transforms or [])
        self.batch_size = batch_size
        self.shuffle = self.default_shuffle if shuffle is None else shuffle
        self.drop_last = self.default_drop_last if drop_last is None else drop_last
        self.num_classes = num_classes
        self.collate_batch = collate_batch
        self.use_shared_memory = use_shared_memory
        self.mixup_epoch = mixup_epoch
        self.inputs_def = dict(inputs_def or {})
        # as in PaddleDetection, the reader's num_classes reaches operators that take one
        for op in self.sample_transforms + self.batch_transforms:
            if hasattr(op, 'num_classes'):
                op.num_classes = num_classes

    @property
    def pipeline(self) -> Pipeline:
        return Pipeline(tuple(self.sample_transforms), tuple(self.batch_transforms),
                        self.collate_batch, self.mixup_epoch)

    def num_batches(self, dataset: Any, world_size: int = 1) -> int:
        return len(batch_indices(len(dataset), self.batch_size, False, self.drop_last, 0, 0,
                                 0, world_size))

    def batches(self, dataset: Any, worker_num: int = 0, seed: int = 0, epoch: int = 0,
                rank: int = 0, world_size: int = 1) -> Iterator[Dict[str, Any]]:
        """Yield this rank's batches for `epoch` (see the module docstring for the format)."""
        if hasattr(dataset, 'parse_dataset'):
            dataset.parse_dataset()  # once, in this process, before any worker starts
        plan = batch_indices(len(dataset), self.batch_size, self.shuffle, self.drop_last, seed,
                             epoch, rank, world_size)
        pipe = self.pipeline
        if worker_num <= 0:
            for bidx, idx in enumerate(plan):
                yield pipe.batch(dataset, idx, bidx, seed, epoch)
        else:
            yield from run_in_workers(pipe, dataset, plan, seed, epoch,
                                      min(worker_num, max(1, len(plan))))

    __call__ = batches


@register
class TrainReader(BaseDataLoader):
    """Training batches: shuffled, incomplete last batch dropped, by default."""
    default_shuffle = True
    default_drop_last = True


@register
class EvalReader(BaseDataLoader):
    """Evaluation batches, in order. drop_last defaults to false (PaddleDetection: true), so
    evaluation sees every image."""


@register
class TestReader(BaseDataLoader):
    """Inference batches, in order, nothing dropped."""
