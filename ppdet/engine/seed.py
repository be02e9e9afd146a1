"""Random state. A program (a tool's `main`) seeds the process once with `seed_everything`;
library code never does: `seeded_paddle` seeds Paddle's generator for one block (building a
model's initial weights) and gives the caller's generator state back afterwards."""
from __future__ import annotations

import contextlib
import random
from typing import Iterator

import numpy as np
import paddle

__all__ = ['seed_everything', 'seeded_paddle']


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and Paddle's global generators (for programs, not libraries)."""
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    paddle.seed(seed)


@contextlib.contextmanager
def seeded_paddle(seed: int) -> Iterator[None]:
    """Run the block with Paddle's generators seeded by `seed`, then restore their state, so
    the same seed gives the same initial weights whatever ran before, and nothing after the
    block sees a changed generator."""
    cpu = paddle.get_rng_state('cpu')
    cuda = paddle.get_cuda_rng_state() if paddle.device.is_compiled_with_cuda() else None
    paddle.seed(seed)
    try:
        yield
    finally:
        paddle.set_rng_state(cpu, 'cpu')
        if cuda is not None:
            paddle.set_cuda_rng_state(cuda)
