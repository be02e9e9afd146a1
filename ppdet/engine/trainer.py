"""Training of any registered architecture: set-up, then epochs, with callbacks around them.

`Trainer(cfg, mode)` builds the model (its initial weights seeded by `seed:` without touching
the process's random state) and the data of `mode`. For training, `train()` runs:

    _prepare      weights (pretrained, or resumed with its checks), freezing, LR schedule,
                  optimizer, EMA, the evaluator of `--eval`         (`dry_run()` stops here)
    run_epoch     one epoch of steps (`loop.py`), per epoch
    _end_epoch    at snapshot epochs and the last: callbacks save, then evaluate
    callbacks     log line + metrics.jsonl, snapshots + best model, curves, VisualDL

Every policy it applies comes from the config and is printed and recorded in the run folder
(`records.py`). Evaluation is `evaluator.py`'s; prediction is `inference.py`'s.
"""
from __future__ import annotations

import contextlib
import os
import time
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence

import paddle

from ppdet.checkpoint import (LoadPolicy, apply_freeze, load_checkpoint_for_resume,
                              load_pretrain_weights, render_freeze_report, render_load_report,
                              save_checkpoint, trainable_parameters)
from ppdet.checkpoint.config_bridge import freeze_patterns_from_config, pretrain_kwargs_from_config
from ppdet.checkpoint.frozen_start import find_frozen_start, render_frozen_start
from ppdet.core.dump import resolved_yaml
from ppdet.core.errors import PPDetError, WeightsError
from ppdet.core.workspace import create
from ppdet.data import check_num_classes
from ppdet.engine.builders import build_data, build_model, class_names_of
from ppdet.engine.callbacks import Callback, CallbackList, CurvePlots, Snapshots, TrainLog
from ppdet.engine.distributed import DistInfo
from ppdet.engine.ema import ModelEMA
from ppdet.engine.evaluator import Evaluator
from ppdet.engine.loop import TrainRun, TrainStep, run_epoch
from ppdet.engine.progress import format_seconds
from ppdet.engine.records import RunRecord
from ppdet.engine.seed import seeded_paddle

__all__ = ['Trainer']


class _Setup(NamedTuple):
    """What training needs before its first step (see `Trainer._prepare`)."""
    steps_per_epoch: int
    lr: Any
    optimizer: Any
    start_epoch: int
    step: int
    evaluator: Optional[Evaluator]


class Trainer:
    """One run of one config: `train()`, `dry_run()`; the model is `trainer.model`."""

    def __init__(self, cfg: Any, mode: str = 'train', *, output_dir: Optional[str] = None,
                 dist: Optional[DistInfo] = None, log: Callable[[str], None] = print,
                 amp: bool = False, vdl_dir: Optional[str] = None,
                 write_records: bool = True) -> None:
        """`write_records=False`: nothing goes to the run folder (dry runs, inspection);
        `vdl_dir`: also write VisualDL logs there (needs the visualdl package)."""
        self.cfg = cfg
        self.mode = mode
        self.dist = dist or DistInfo()
        self.log = log if self.dist.is_main else (lambda *_: None)
        self.seed = int(cfg.get('seed', 0))
        self.output_dir = output_dir or os.path.join(cfg.get('save_dir', 'output'), 'run')
        self.record = RunRecord(self.output_dir,
                                enabled=write_records and self.dist.is_main and mode == 'train')
        self.amp = amp
        self.vdl_dir = vdl_dir if self.dist.is_main else None
        with seeded_paddle(self.seed):
            self.model = build_model(cfg)
        self.dataset, self.reader = build_data(cfg, mode)
        self.class_names = class_names_of(self.dataset)
        if mode in ('train', 'eval') and 'num_classes' in cfg:
            check_num_classes(self.class_names, int(cfg['num_classes']),
                              f'{cfg.get("architecture")} vs {type(self.dataset).__name__}')
        self.load_report = None
        self.ema: Optional[ModelEMA] = None
        self.evaluator: Optional[Evaluator] = None   # set by train(validate=True)

    # -- weights ------------------------------------------------------------------------
    def load_pretrained(self, source: Optional[str] = None, apply: bool = True):
        """Load `pretrain_weights` as the config's transfer-learning keys say; report it.

        `apply=False` (dry run, `tools/inspect_weights.py`) makes the same plan against the same
        dataset classes and refuses where loading would, but leaves the model as it is.
        """
        source = source or self.cfg.get('pretrain_weights')
        if not source:
            text = 'pretrain_weights: none — every parameter starts from its initialiser'
            self.log(text)
            self.record.write_text('load_report.txt', text + '\n')
            return None
        try:
            report = load_pretrain_weights(self.model, source, apply=apply,
                                           target_class_names=self.class_names,
                                           **pretrain_kwargs_from_config(self.cfg))
        except WeightsError as e:
            refused = getattr(e, 'report', None)
            if refused is not None:  # the table first: it shows what the refusal is about
                self.log(render_load_report(refused))
            raise
        text = render_load_report(report)
        self.log(text)
        self.record.write_text('load_report.txt', text + '\n')
        if hasattr(report, 'to_dict'):
            self.record.write_json('load_report.json', report.to_dict())
        self.load_report = report
        return report

    def load_weights(self, source: str):
        """Load trained weights for eval/infer: every tensor must fit (`full` mode)."""
        kwargs = pretrain_kwargs_from_config(self.cfg)
        # trained weights must fit whole, whatever the config relaxes for fine-tuning
        kwargs.update(mode='full', exclude=None, class_aware=False, policy=LoadPolicy())
        report = load_pretrain_weights(self.model, source, target_class_names=self.class_names,
                                       **kwargs)
        self.log(render_load_report(report))
        return report

    def freeze(self):
        report = apply_freeze(self.model, freeze_patterns_from_config(self.cfg))
        if report is not None and getattr(report, 'patterns', None):
            self.log(render_freeze_report(report))
            self.record.write_text('freeze_report.txt', render_freeze_report(report) + '\n')
        return report

    def _warn_frozen_start(self) -> None:
        """Say so when frozen parameters start from their initialisers (see frozen_start)."""
        text = render_frozen_start(find_frozen_start(self.model, self.load_report))
        if text:
            self.log(text)
            self.record.write_text('frozen_start.txt', text + '\n')

    @contextlib.contextmanager
    def final_weights(self) -> Iterator[Any]:
        """The model with the weights a snapshot saves and an evaluation scores: the EMA
        average when `use_ema`, else the trained weights; restored afterwards."""
        backup = self.ema.apply_to(self.model) if self.ema is not None else None
        try:
            yield self.model
        finally:
            if backup is not None:
                self.model.set_state_dict(backup)

    # -- set-up ---------------------------------------------------------------------------
    def _prepare(self, resume: Optional[str], config_text: str, validate: bool,
                 apply: bool = True) -> _Setup:
        """Everything before the first step: weights (pretrained, or resumed with its checks),
        freezing, schedule, optimizer, EMA, the evaluator. `train()` and `dry_run()` both run
        it, so a dry run fails exactly where training would; with `apply=False` pretrained
        weights are only planned and the random state is not restored."""
        if self.vdl_dir:
            from ppdet.engine.visualdl import require_visualdl
            require_visualdl()
        if not resume:
            self.load_pretrained(apply=apply)
        self.freeze()
        if not resume:
            self._warn_frozen_start()
        steps_per_epoch = self._steps_per_epoch()
        lr = create('LearningRate', self.cfg).build(steps_per_epoch)
        optimizer = create('OptimizerBuilder', self.cfg).build(lr,
                                                               trainable_parameters(self.model))
        if self.cfg.get('use_ema'):
            self.ema = ModelEMA(self.model, float(self.cfg.get('ema_decay', 0.9998)))
        start_epoch, step = (self._resume(resume, optimizer, lr, config_text, apply)
                             if resume else (0, 0))
        evaluator = self._evaluator() if validate else None
        return _Setup(steps_per_epoch, lr, optimizer, start_epoch, step, evaluator)

    def _steps_per_epoch(self) -> int:
        steps = self.reader.num_batches(self.dataset, self.dist.world_size)
        if steps == 0:
            raise PPDetError(f'{type(self.dataset).__name__} has {len(self.dataset)} images, '
                             f'fewer than one batch of {self.reader.batch_size} per process '
                             f'with drop_last; lower TrainReader.batch_size')
        return steps

    def _resume(self, resume: str, optimizer: Any, lr: Any, config_text: str,
                apply: bool) -> tuple:
        state = load_checkpoint_for_resume(resume, self.model, optimizer, lr_scheduler=lr,
                                           ema=self.ema, current_config_text=config_text,
                                           class_names=self.class_names,
                                           restore_random_state=apply)
        self.log(f'{"resumed" if apply else "would resume"} from {state.prefix}: '
                 f'epoch {state.epoch}, iteration {state.step}')
        for line in state.config_diff:
            self.log(f'  config changed since: {line}')
        return state.epoch, state.step

    def _evaluator(self) -> Evaluator:
        """The `--eval` evaluator: EvalDataset through EvalReader, printed on rank 0."""
        dataset, reader = build_data(self.cfg, 'eval')
        return Evaluator(self.cfg, dataset, reader, seed=self.seed,
                         worker_num=int(self.cfg.get('worker_num', 0)), log=self.log,
                         show_progress=self.dist.is_main)

    def dry_run(self, resume: Optional[str] = None, validate: bool = False) -> str:
        """Run `_prepare` as `train()` would — same checks, same refusals — planning instead of
        loading pretrained weights; nothing is written. Returns the summary line."""
        if self.record.enabled:
            raise ValueError('a dry run writes nothing: build the Trainer with '
                             'write_records=False')
        setup = self._prepare(resume, resolved_yaml(self.cfg), validate, apply=False)
        params = sum(int(p.size) for p in self.model.parameters())
        at = (f'; resumes at epoch {setup.start_epoch + 1}, iteration {setup.step}'
              if resume else '')
        return (f'dry run: {type(self.model).__name__} with {params:,} parameters; '
                f'{len(self.dataset)} training images, {setup.steps_per_epoch} iterations per '
                f'epoch, {self.cfg.get("epoch", 1)} epochs{at}; nothing was trained or written')

    # -- training -----------------------------------------------------------------------
    def train(self, validate: bool = False, resume: Optional[str] = None,
              callbacks: Sequence[Callback] = ()) -> Dict[str, Any]:
        """Train as the config says; `validate`: evaluate at each snapshot (`--eval`);
        `callbacks` run after the built-in ones. Returns a summary of the run."""
        config_text = resolved_yaml(self.cfg)
        setup = self._prepare(resume, config_text, validate)
        self.evaluator = setup.evaluator
        self.record.write_text('config.yml', config_text)
        run = self._new_run(setup, config_text)
        hooks = CallbackList(self._callbacks() + list(callbacks))
        step = self._train_step(setup)
        hooks.on_train_begin(run)
        for epoch in range(setup.start_epoch, run.epochs):
            run.epoch = epoch
            stopped = run_epoch(run, step, self._batches(epoch), hooks)
            last = epoch + 1 == run.epochs or stopped
            self._end_epoch(run, hooks, setup.evaluator, last)
            if last:
                break
        hooks.on_train_end(run)
        return self._summary(run)

    def _new_run(self, setup: _Setup, config_text: str) -> TrainRun:
        epochs = int(self.cfg.get('epoch', 1))
        max_iters = self.cfg.get('max_iters')
        total = epochs * setup.steps_per_epoch
        return TrainRun(self.output_dir, config_text, epochs, setup.steps_per_epoch,
                        min(int(max_iters), total) if max_iters else total, setup.step,
                        setup.optimizer, setup.lr, log_iter=int(self.cfg.get('log_iter', 20)),
                        max_iters=max_iters, epoch=setup.start_epoch, step=setup.step)

    def _callbacks(self) -> List[Callback]:
        metric = str(self.cfg.get('metric'))
        items: List[Callback] = [TrainLog(self.record, self.log, metric),
                                 Snapshots(self.save_checkpoint,
                                           bool(self.cfg.get('save_best_model', True)))]
        if self.vdl_dir:
            from ppdet.engine.visualdl import VisualDLLog
            items.append(VisualDLLog(self.vdl_dir, metric))
        return items + [CurvePlots(self.record)]

    def _train_step(self, setup: _Setup) -> TrainStep:
        model = paddle.DataParallel(self.model) if self.dist.world_size > 1 else self.model
        model.train()
        scaler = paddle.amp.GradScaler(init_loss_scaling=1024) if self.amp else None
        return TrainStep(model, setup.optimizer, setup.lr, scaler, self.ema, self.model)

    def _batches(self, epoch: int) -> Any:
        return self.reader.batches(self.dataset, worker_num=int(self.cfg.get('worker_num', 0)),
                                   seed=self.seed, epoch=epoch, rank=self.dist.rank,
                                   world_size=self.dist.world_size)

    def _end_epoch(self, run: TrainRun, hooks: Callback, evaluator: Optional[Evaluator],
                   last: bool) -> None:
        """At a snapshot epoch (every `snapshot_epoch`) and at the last: save, then evaluate
        the saved weights when validating."""
        if (run.epoch + 1) % int(self.cfg.get('snapshot_epoch', 1)) != 0 and not last:
            return
        hooks.on_snapshot(run, last)
        if evaluator is None:
            return
        with self.final_weights() as model:
            evaluation = evaluator.run(model)
        run.last_evaluation = evaluation
        run.eval_seconds += evaluation.seconds
        hooks.on_evaluation(run, evaluation)

    def _summary(self, run: TrainRun) -> Dict[str, Any]:
        seconds = round(time.perf_counter() - run.started, 1)
        summary: Dict[str, Any] = {'output_dir': self.output_dir, 'epochs': run.epochs,
                                   'iterations': run.step, 'seconds': seconds,
                                   'eval_seconds': round(run.eval_seconds, 1)}
        if run.last_evaluation is not None:
            summary['map'] = run.last_evaluation.value
            summary['evaluation'] = run.last_evaluation
        self.log(f'training done: {run.step} iterations in {format_seconds(seconds)}; '
                 f'outputs in {self.output_dir}')
        return summary

    def save_checkpoint(self, name: str, run: TrainRun, final: bool = False,
                        latest: bool = True) -> None:
        """`<output_dir>/<name>.*` on rank 0; final snapshots hold the EMA weights."""
        if not self.dist.is_main:
            return
        with (self.final_weights() if final else contextlib.nullcontext(self.model)) as model:
            save_checkpoint(os.path.join(self.output_dir, name), model, run.optimizer,
                            epoch=run.epoch + 1, step=run.step, lr_scheduler=run.lr,
                            ema=self.ema, architecture=self.cfg.get('architecture'),
                            class_names=self.class_names, config_text=run.config_text,
                            update_latest=latest)

