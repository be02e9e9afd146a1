"""One epoch of training: batches in, one optimisation step each, a report per step.

`TrainRun` is where a run stands (shared with the callbacks); `TrainStep` is one optimisation
step; `run_epoch` feeds the epoch's batches through it, refuses a non-finite loss, and tells
the callbacks after every step. What to record, save or draw is the callbacks' business.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Optional

import paddle

from ppdet.core.errors import PPDetError
from ppdet.engine.batch import to_model_inputs
from ppdet.engine.evaluator import Evaluation, closing

__all__ = ['TrainRun', 'StepStats', 'TrainStep', 'run_epoch']


@dataclass
class TrainRun:
    """The state of one training run. `epoch` is 0-based; `step` counts optimisation steps
    since the run began (a resumed run starts at the checkpoint's step, `start_step`)."""
    output_dir: str
    config_text: str
    epochs: int
    steps_per_epoch: int
    total_steps: int
    start_step: int
    optimizer: Any
    lr: Any
    log_iter: int = 20
    max_iters: Optional[int] = None
    epoch: int = 0
    step: int = 0
    started: float = field(default_factory=time.perf_counter)
    last_evaluation: Optional[Evaluation] = None
    eval_seconds: float = 0.0

    def is_log_step(self) -> bool:
        return self.step % self.log_iter == 0 or self.step == self.total_steps

    def reached_max_iters(self) -> bool:
        return bool(self.max_iters) and self.step >= int(self.max_iters)


@dataclass(frozen=True)
class StepStats:
    """One step: each loss term and the LR (floats), the images in the batch, the seconds of
    the whole step (`batch_cost`) and of waiting for the batch (`data_cost`)."""
    losses: Dict[str, float]
    lr: float
    images: int
    batch_cost: float
    data_cost: float


class TrainStep:
    """Forward, backward (loss scaled under AMP), update, LR step and EMA update."""

    def __init__(self, model: Any, optimizer: Any, lr: Any, scaler: Any = None,
                 ema: Any = None, ema_source: Any = None) -> None:
        self.model = model                # possibly paddle.DataParallel around ema_source
        self.optimizer = optimizer
        self.lr = lr
        self.scaler = scaler
        self.ema = ema
        self.ema_source = ema_source if ema_source is not None else model

    def __call__(self, batch: Dict[str, Any], epoch: int) -> Dict[str, float]:
        inputs = to_model_inputs(batch)
        inputs['epoch_id'] = epoch
        if self.scaler is not None:
            with paddle.amp.auto_cast():
                losses = self.model(inputs)
            scaled = self.scaler.scale(losses['loss'])
            scaled.backward()
            self.scaler.minimize(self.optimizer, scaled)
        else:
            losses = self.model(inputs)
            losses['loss'].backward()
            self.optimizer.step()
        self.optimizer.clear_grad()
        self.lr.step()
        if self.ema is not None:
            self.ema.update(self.ema_source)
        return {k: float(v) for k, v in losses.items()}


def _images_in(batch: Dict[str, Any]) -> int:
    image = batch.get('image')
    return int(image.shape[0]) if hasattr(image, 'shape') else len(batch.get('im_file', []))


def _check_finite(losses: Dict[str, float], lr: float, run: TrainRun) -> None:
    if not all(map(math.isfinite, list(losses.values()) + [lr])):
        raise PPDetError(f'the loss became {losses.get("loss")} at iteration {run.step} '
                         f'(epoch {run.epoch + 1}); lower LearningRate.base_lr or add '
                         f'LinearWarmup')


def run_epoch(run: TrainRun, step: TrainStep, batches: Iterable[Dict[str, Any]],
              callbacks: Any) -> bool:
    """Train on one epoch's batches; True when `max_iters` stopped it early."""
    waited_from = time.perf_counter()
    for batch in closing(batches):
        started = time.perf_counter()
        losses = step(batch, run.epoch)
        run.step += 1
        lr = float(run.optimizer.get_lr())
        _check_finite(losses, lr, run)
        done = time.perf_counter()
        callbacks.on_step(run, StepStats(losses, lr, _images_in(batch), done - waited_from,
                                         started - waited_from))
        waited_from = time.perf_counter()
        if run.reached_max_iters():
            return True
    return False
