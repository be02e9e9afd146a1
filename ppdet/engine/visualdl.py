"""VisualDL logs of a training run (`--use_vdl` / `use_vdl: true`), as PaddleDetection writes
them: every loss term and the learning rate at each logged step, the mAP at each evaluation.

VisualDL is optional (`pip install visualdl`); asking for its logs without it is an error
before anything runs, never a silent no-op. View with `visualdl --logdir <vdl_log_dir>`.
"""
from __future__ import annotations

import math
from typing import Any

from ppdet.core.errors import PPDetError
from ppdet.engine.callbacks import Callback
from ppdet.engine.evaluator import Evaluation
from ppdet.engine.loop import StepStats, TrainRun

__all__ = ['require_visualdl', 'VisualDLLog']

MISSING = ('VisualDL logs were asked for (--use_vdl / use_vdl: true) but the visualdl package '
           'is not installed: pip install visualdl, or train without --use_vdl')


def require_visualdl() -> Any:
    """The `LogWriter` class; PPDetError saying how to install it when it is missing."""
    try:
        from visualdl import LogWriter
    except ImportError:
        raise PPDetError(MISSING) from None
    return LogWriter


class VisualDLLog(Callback):
    """Scalars `train/<loss term>`, `train/lr`, `train/batch_cost`, `train/ips` at each logged
    step and `eval/<metric>` at each evaluation, against the iteration."""

    def __init__(self, log_dir: str, metric_name: str = 'mAP') -> None:
        self.log_dir = log_dir
        self.metric_name = metric_name
        self.writer = require_visualdl()(logdir=log_dir)

    def on_step(self, run: TrainRun, stats: StepStats) -> None:
        if not run.is_log_step():
            return
        for key, value in stats.losses.items():
            self.writer.add_scalar(f'train/{key}', value, run.step)
        self.writer.add_scalar('train/lr', stats.lr, run.step)
        self.writer.add_scalar('train/batch_cost', stats.batch_cost, run.step)
        if stats.batch_cost > 0:
            self.writer.add_scalar('train/ips', stats.images / stats.batch_cost, run.step)

    def on_evaluation(self, run: TrainRun, evaluation: Evaluation) -> None:
        if math.isfinite(evaluation.value):
            self.writer.add_scalar(f'eval/{self.metric_name}', evaluation.value, run.step)
        self.writer.flush()

    def on_train_end(self, run: TrainRun) -> None:
        self.writer.close()
