"""Data-parallel setup on PaddlePaddle's own launcher (GPUs, or CPU processes over gloo).

    python -m paddle.distributed.launch --nproc_per_node 2 tools/train.py -c cfg.yml

Each process reads its share of every global batch (see the reader's rank/world_size split)
and gradients are averaged by `paddle.DataParallel`, so N processes with per-process batch b
follow one process with batch N*b.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import paddle

__all__ = ['DistInfo', 'init_distributed', 'select_device', 'gpu_unavailable_reason']


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def select_device(use_gpu: bool = True) -> str:
    """'gpu' when asked for and available (honouring the launcher's card), else 'cpu'."""
    if use_gpu and paddle.device.is_compiled_with_cuda() and \
            paddle.device.cuda.device_count() > 0:
        card = os.environ.get('FLAGS_selected_gpus', '0').split(',')[0]
        paddle.set_device(f'gpu:{card}')
        return f'gpu:{card}'
    paddle.set_device('cpu')
    return 'cpu'


def gpu_unavailable_reason() -> str:
    """Why `select_device(True)` chose the CPU, in words for a log line."""
    if not paddle.device.is_compiled_with_cuda():
        return f'this PaddlePaddle {paddle.__version__} is a CPU build'
    return 'no GPU is visible to PaddlePaddle'


def init_distributed() -> DistInfo:
    """Join the process group when launched with more than one process."""
    world = int(os.environ.get('PADDLE_TRAINERS_NUM', '1') or 1)
    if world <= 1:
        return DistInfo()
    import paddle.distributed as dist
    initialized = getattr(dist, 'is_initialized', lambda: False)()
    if not initialized:
        dist.init_parallel_env()
    return DistInfo(rank=dist.get_rank(), world_size=dist.get_world_size())
