"""What a training run does besides training, one callback each: the log (console line and
metrics.jsonl), snapshots and the best model, the curves, a duration forecast.

The loop calls, in this order: `on_train_begin`, `on_step` after every step, `on_snapshot` at
each snapshot epoch (and the last), `on_evaluation` after each evaluation, `on_train_end`.
Callbacks run in the order given; those that read metrics.jsonl come after `TrainLog`.
"""
from __future__ import annotations

import math
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

from ppdet.engine.evaluator import Evaluation
from ppdet.engine.loop import StepStats, TrainRun
from ppdet.engine.progress import format_seconds

__all__ = ['Callback', 'CallbackList', 'TrainLog', 'Snapshots', 'CurvePlots',
           'DurationForecast', 'format_train_line']


class Callback:
    """Base: every hook does nothing."""

    def on_train_begin(self, run: TrainRun) -> None:
        pass

    def on_step(self, run: TrainRun, stats: StepStats) -> None:
        pass

    def on_snapshot(self, run: TrainRun, final: bool) -> None:
        pass

    def on_evaluation(self, run: TrainRun, evaluation: Evaluation) -> None:
        pass

    def on_train_end(self, run: TrainRun) -> None:
        pass


class CallbackList(Callback):
    """Calls each callback's hook in order."""

    def __init__(self, callbacks: Sequence[Callback]) -> None:
        self.callbacks = list(callbacks)

    def on_train_begin(self, run: TrainRun) -> None:
        for c in self.callbacks:
            c.on_train_begin(run)

    def on_step(self, run: TrainRun, stats: StepStats) -> None:
        for c in self.callbacks:
            c.on_step(run, stats)

    def on_snapshot(self, run: TrainRun, final: bool) -> None:
        for c in self.callbacks:
            c.on_snapshot(run, final)

    def on_evaluation(self, run: TrainRun, evaluation: Evaluation) -> None:
        for c in self.callbacks:
            c.on_evaluation(run, evaluation)

    def on_train_end(self, run: TrainRun) -> None:
        for c in self.callbacks:
            c.on_train_end(run)


def format_train_line(entry: Dict[str, Any], run: TrainRun, eta: float) -> str:
    """PaddleDetection's training line: epoch, iteration, ETA, LR, every loss term, then
    batch_cost, data_cost and images per second."""
    width = len(str(run.total_steps))
    parts = [f'epoch {entry["epoch"]}/{run.epochs}',
             f'iter {entry["iter"]:>{width}}/{run.total_steps}',
             'eta ' + (format_seconds(eta) if math.isfinite(eta) else '?'),
             f'lr {entry["lr"]:.6f}']
    parts += [f'{k} {v:.4f}' for k, v in entry.items() if k.startswith('loss')]
    parts += [f'batch_cost {entry["batch_cost"]:.3f} s', f'data_cost {entry["data_cost"]:.3f} s',
              f'ips {entry["ips"]:.2f} images/s']
    return '  '.join(parts)


class TrainLog(Callback):
    """Every `log_iter` steps (and the last): one console line and one metrics.jsonl entry
    with each loss term, the LR, batch_cost and data_cost (mean seconds over the steps since
    the last line) and images/s; each evaluation as an entry too. The ETA counts only the
    steps of this process, so it is right after a resume."""

    def __init__(self, record: Any, log: Callable[[str], None] = print,
                 metric_name: str = 'mAP', clock: Callable[[], float] = time.perf_counter) -> None:
        self.record = record
        self.log = log
        self.metric_name = metric_name
        self.clock = clock   # the run's `started` is on this clock
        self.window: List[StepStats] = []

    def on_step(self, run: TrainRun, stats: StepStats) -> None:
        self.window.append(stats)
        if not run.is_log_step():
            return
        entry = self.entry(run)
        self.window = []
        self.record.log(entry)
        done_here = run.step - run.start_step
        elapsed = self.clock() - run.started
        eta = elapsed / done_here * (run.total_steps - run.step) if done_here else math.nan
        self.log(format_train_line(entry, run, eta))

    def entry(self, run: TrainRun) -> Dict[str, Any]:
        last = self.window[-1]
        cost = sum(s.batch_cost for s in self.window)
        images = sum(s.images for s in self.window)
        n = len(self.window)
        return {'type': 'train', 'epoch': run.epoch + 1, 'iter': run.step,
                'time': round(self.clock() - run.started, 3), **last.losses,
                'lr': last.lr, 'batch_cost': round(cost / n, 4),
                'data_cost': round(sum(s.data_cost for s in self.window) / n, 4),
                'ips': round(images / cost, 3) if cost > 0 else 0.0}

    def on_evaluation(self, run: TrainRun, evaluation: Evaluation) -> None:
        self.record.log({'type': 'eval', 'epoch': run.epoch + 1, 'iter': run.step,
                         'split': evaluation.split, 'map': evaluation.value,
                         'metric_name': self.metric_name, 'result': evaluation.result,
                         'seconds': round(evaluation.seconds, 2)})


class Snapshots(Callback):
    """Checkpoints: `epoch_N` at each snapshot epoch, `model_final` at the last, and
    `best_model` whenever an evaluation beats the best so far (with `save_best`).
    `save(name, run, final, latest)` writes one (see `Trainer.save_checkpoint`)."""

    def __init__(self, save: Callable[[str, TrainRun, bool, bool], None],
                 save_best: bool = True) -> None:
        self.save = save
        self.save_best = save_best
        self.best = -math.inf

    def on_snapshot(self, run: TrainRun, final: bool) -> None:
        self.save('model_final' if final else f'epoch_{run.epoch + 1}', run, final, True)

    def on_evaluation(self, run: TrainRun, evaluation: Evaluation) -> None:
        if self.save_best and evaluation.value > self.best:
            self.best = evaluation.value
            self.save('best_model', run, True, False)


class CurvePlots(Callback):
    """loss.png and map.png from metrics.jsonl, redrawn after each evaluation and at the end."""

    def __init__(self, record: Any) -> None:
        self.record = record

    def on_evaluation(self, run: TrainRun, evaluation: Evaluation) -> None:
        self.record.plot()

    def on_train_end(self, run: TrainRun) -> None:
        self.record.plot()


class DurationForecast(Callback):
    """Once the steps `skip+1 .. skip+measure` of this process are timed, say how long the
    rest of training will take on this machine (the first steps are slower: warm-up)."""

    def __init__(self, log: Callable[[str], None], measure: int = 10, skip: int = 2,
                 prefix: str = '') -> None:
        self.log = log
        self.measure = max(1, measure)
        self.skip = max(0, skip)
        self.prefix = prefix
        self.costs: List[float] = []
        self.forecast: Optional[float] = None

    def on_step(self, run: TrainRun, stats: StepStats) -> None:
        done_here = run.step - run.start_step
        if self.forecast is not None or done_here <= self.skip:
            return
        self.costs.append(stats.batch_cost)
        if len(self.costs) < self.measure and run.step < run.total_steps:
            return
        per_step = sum(self.costs) / len(self.costs)
        self.forecast = per_step * (run.total_steps - run.start_step)
        first = run.start_step + self.skip + 1
        self.log(f'{self.prefix}this machine: training takes about '
                 f'{format_seconds(self.forecast)} ({run.total_steps - run.start_step} '
                 f'iterations at {per_step:.3f} s each, timed over iterations {first}-'
                 f'{first + len(self.costs) - 1})')
