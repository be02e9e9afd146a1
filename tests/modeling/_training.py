"""The optimisation loop of the instant training tests (YOLOv3 and SSD)."""
from __future__ import annotations

from typing import Dict, List, Optional

import paddle


def train_adam(model: paddle.nn.Layer, batch: Dict[str, paddle.Tensor], iters: int, lr: float,
               decay_at: Optional[int] = None) -> List[float]:
    """Adam on one fixed batch; the learning rate drops 10x at `decay_at` so the last
    iterations settle. Returns the loss of every iteration."""
    sched = paddle.optimizer.lr.PiecewiseDecay([decay_at or iters], [lr, lr * 0.1])
    opt = paddle.optimizer.Adam(learning_rate=sched, parameters=model.parameters())
    model.train()
    losses = []
    for _ in range(iters):
        loss = model(dict(batch))['loss']
        loss.backward()
        opt.step()
        opt.clear_grad()
        sched.step()
        losses.append(float(loss.numpy()))
    return losses
