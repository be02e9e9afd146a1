"""Training and evaluation loops of any registered architecture.

`Trainer(cfg)` builds the model, data, weights and optimizer from a config and runs; every
policy it applies (weights loaded, frozen parameters, schedule) comes from the config and is
printed and recorded in the run folder (see `records.py`).
"""
from __future__ import annotations

import math
import os
import random
import time
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple

import numpy as np
import paddle

from ppdet.checkpoint import (LoadPolicy, apply_freeze, load_checkpoint_for_resume,
                              load_pretrain_weights, render_freeze_report, render_load_report,
                              save_checkpoint, trainable_parameters)
from ppdet.checkpoint.config_bridge import freeze_patterns_from_config, pretrain_kwargs_from_config
from ppdet.core.dump import resolved_yaml
from ppdet.core.errors import PPDetError, WeightsError
from ppdet.core.workspace import create
from ppdet.data import check_num_classes
from ppdet.engine.batch import to_model_inputs
from ppdet.engine.builders import build_data, build_metric, build_model, class_names_of, main_value
from ppdet.engine.distributed import DistInfo
from ppdet.engine.ema import ModelEMA
from ppdet.engine.progress import Progress, format_seconds
from ppdet.engine.records import RunRecord

__all__ = ['Trainer', 'seed_everything']


def _closing(batches: Any) -> Any:
    """Iterate `batches` and close the generator however the loop ends, so reader workers
    stop now rather than at interpreter exit."""
    try:
        yield from batches
    finally:
        close = getattr(batches, 'close', None)
        if close is not None:
            close()


class _Setup(NamedTuple):
    """What training needs before its first step (see `Trainer._prepare`)."""
    steps_per_epoch: int
    lr: Any
    optimizer: Any
    start_epoch: int
    step: int
    eval_data: Optional[Tuple[Any, Any]]


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    paddle.seed(seed)


class Trainer:
    """One run of one config: `train()`, `evaluate()`; the model is `trainer.model`."""

    def __init__(self, cfg: Any, mode: str = 'train', *, output_dir: Optional[str] = None,
                 dist: Optional[DistInfo] = None, log: Callable[[str], None] = print,
                 amp: bool = False, vdl_dir: Optional[str] = None,
                 write_records: bool = True) -> None:
        """`write_records=False`: nothing goes to the run folder (dry runs, inspection)."""
        self.cfg = cfg
        self.mode = mode
        self.dist = dist or DistInfo()
        self.log = log if self.dist.is_main else (lambda *_: None)
        self.seed = int(cfg.get('seed', 0))
        seed_everything(self.seed)
        self.output_dir = output_dir or os.path.join(cfg.get('save_dir', 'output'), 'run')
        self.record = RunRecord(self.output_dir, vdl_dir=vdl_dir,
                                enabled=write_records and self.dist.is_main and mode == 'train')
        self.amp = amp
        self.scaler = paddle.amp.GradScaler(init_loss_scaling=1024) if amp else None
        self.model = build_model(cfg)
        self.dataset, self.reader = build_data(cfg, mode)
        self.class_names = class_names_of(self.dataset)
        if mode in ('train', 'eval') and 'num_classes' in cfg:
            check_num_classes(self.class_names, int(cfg['num_classes']),
                              f'{cfg.get("architecture")} vs {type(self.dataset).__name__}')
        self.load_report = None
        self.last_metric: Any = None
        self.ema: Optional[ModelEMA] = None

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

    # -- training -----------------------------------------------------------------------
    def _prepare(self, resume: Optional[str], config_text: str, validate: bool,
                 apply: bool = True) -> _Setup:
        """Everything before the first step: weights (pretrained, or resumed with its checks),
        freezing, schedule, optimizer, EMA, eval data. `train()` and `dry_run()` both run it,
        so a dry run fails exactly where training would; with `apply=False` pretrained weights
        are only planned and the random state is not restored."""
        cfg = self.cfg
        if not resume:
            self.load_pretrained(apply=apply)
        self.freeze()
        steps_per_epoch = self.reader.num_batches(self.dataset, self.dist.world_size)
        if steps_per_epoch == 0:
            raise PPDetError(f'{type(self.dataset).__name__} has {len(self.dataset)} images, '
                             f'fewer than one batch of {self.reader.batch_size} per process '
                             f'with drop_last; lower TrainReader.batch_size')
        lr = create('LearningRate', cfg).build(steps_per_epoch)
        optimizer = create('OptimizerBuilder', cfg).build(lr, trainable_parameters(self.model))
        if cfg.get('use_ema'):
            self.ema = ModelEMA(self.model, float(cfg.get('ema_decay', 0.9998)))
        start_epoch, step = 0, 0
        if resume:
            state = load_checkpoint_for_resume(resume, self.model, optimizer, lr_scheduler=lr,
                                               ema=self.ema, current_config_text=config_text,
                                               class_names=self.class_names,
                                               restore_random_state=apply)
            start_epoch, step = state.epoch, state.step
            self.log(f'{"resumed" if apply else "would resume"} from {state.prefix}: '
                     f'epoch {start_epoch}, iteration {step}')
            for line in state.config_diff:
                self.log(f'  config changed since: {line}')
        eval_data = build_data(cfg, 'eval') if validate else None
        return _Setup(steps_per_epoch, lr, optimizer, start_epoch, step, eval_data)

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

    def train(self, validate: bool = False, resume: Optional[str] = None) -> Dict[str, Any]:
        cfg = self.cfg
        config_text = resolved_yaml(cfg)
        steps_per_epoch, lr, optimizer, start_epoch, step, eval_data = self._prepare(
            resume, config_text, validate)
        self.record.write_text('config.yml', config_text)
        model = self.model
        if self.dist.world_size > 1:
            model = paddle.DataParallel(self.model)
        epochs = int(cfg.get('epoch', 1))
        max_iters = cfg.get('max_iters')
        total = epochs * steps_per_epoch if not max_iters else min(max_iters,
                                                                     epochs * steps_per_epoch)
        progress = Progress(total, 'train', every=int(cfg.get('log_iter', 20)),
                            enabled=self.dist.is_main)
        progress.done = step
        best = -math.inf
        summary: Dict[str, Any] = {'output_dir': self.output_dir}
        t0 = time.perf_counter()
        for epoch in range(start_epoch, epochs):
            model.train()
            batches = self.reader.batches(self.dataset, worker_num=int(cfg.get('worker_num', 0)),
                                          seed=self.seed, epoch=epoch, rank=self.dist.rank,
                                          world_size=self.dist.world_size)
            for batch in _closing(batches):
                losses = self._step(model, optimizer, lr, batch, epoch)
                step += 1
                stats = {k: float(v) for k, v in losses.items()}
                stats['lr'] = float(optimizer.get_lr())
                if step % int(cfg.get('log_iter', 20)) == 0 or step == total:
                    self.record.log({'type': 'train', 'epoch': epoch + 1, 'iter': step,
                                     'time': round(time.perf_counter() - t0, 3), **stats})
                progress.update(1, {'epoch': epoch + 1, **{k: stats[k] for k in stats
                                                           if k in ('loss', 'lr')}})
                if not all(map(math.isfinite, stats.values())):
                    raise PPDetError(f'the loss became {stats["loss"]} at iteration {step} '
                                     f'(epoch {epoch + 1}); lower LearningRate.base_lr or add '
                                     f'LinearWarmup')
                if max_iters and step >= max_iters:
                    break
            last = epoch + 1 == epochs or bool(max_iters and step >= max_iters)
            if (epoch + 1) % int(cfg.get('snapshot_epoch', 1)) == 0 or last:
                self._save(f'epoch_{epoch + 1}' if not last else 'model_final', optimizer, lr,
                           epoch + 1, step, config_text, final=last)
                if eval_data is not None:
                    result = self._eval_with_ema(*eval_data)
                    value = main_value(result)
                    summary['map'] = value
                    self.record.log({'type': 'eval', 'epoch': epoch + 1, 'iter': step,
                                     'map': value, 'metric_name': str(cfg.get('metric')),
                                     'result': result})
                    if value > best and cfg.get('save_best_model', True):
                        best = value
                        self._save('best_model', optimizer, lr, epoch + 1, step, config_text,
                                   final=True, latest=False)
                    self.record.plot()
            if last:
                break
        summary.update(epochs=epochs, iterations=step,
                       seconds=round(time.perf_counter() - t0, 1))
        self.record.plot()
        self.log(f'training done: {step} iterations in '
                 f'{format_seconds(summary["seconds"])}; outputs in {self.output_dir}')
        return summary

    def _step(self, model: Any, optimizer: Any, lr: Any, batch: Dict[str, Any],
              epoch: int) -> Dict[str, Any]:
        inputs = to_model_inputs(batch)
        inputs['epoch_id'] = epoch
        if self.scaler is not None:
            with paddle.amp.auto_cast():
                losses = model(inputs)
            scaled = self.scaler.scale(losses['loss'])
            scaled.backward()
            self.scaler.minimize(optimizer, scaled)
        else:
            losses = model(inputs)
            losses['loss'].backward()
            optimizer.step()
        optimizer.clear_grad()
        lr.step()
        if self.ema is not None:
            self.ema.update(self.model)
        return {k: v.detach() if hasattr(v, 'detach') else v for k, v in losses.items()}

    def _save(self, name: str, optimizer: Any, lr: Any, epoch: int, step: int,
              config_text: str, final: bool = False, latest: bool = True) -> None:
        if not self.dist.is_main:
            return
        backup = self.ema.apply_to(self.model) if (final and self.ema is not None) else None
        try:
            save_checkpoint(os.path.join(self.output_dir, name), self.model, optimizer,
                            epoch=epoch, step=step, lr_scheduler=lr, ema=self.ema,
                            architecture=self.cfg.get('architecture'),
                            class_names=self.class_names, config_text=config_text,
                            update_latest=latest)
        finally:
            if backup is not None:
                self.model.set_state_dict(backup)

    # -- evaluation ---------------------------------------------------------------------
    def _eval_with_ema(self, dataset: Any, reader: Any) -> Dict[str, Any]:
        backup = self.ema.apply_to(self.model) if self.ema is not None else None
        try:
            return self.evaluate(dataset, reader)
        finally:
            if backup is not None:
                self.model.set_state_dict(backup)

    @paddle.no_grad()
    def evaluate(self, dataset: Any = None, reader: Any = None) -> Dict[str, Any]:
        """Run the metric of `metric:` over a dataset; print the per-class table."""
        dataset = dataset if dataset is not None else self.dataset
        reader = reader if reader is not None else self.reader
        metric = build_metric(self.cfg, dataset)
        if metric is None:
            raise PPDetError('the config has no metric: set metric: VOC or metric: COCO')
        was_training = self.model.training
        self.model.eval()
        progress = Progress(reader.num_batches(dataset), 'eval', every=20,
                            enabled=self.dist.is_main)
        t0 = time.perf_counter()
        for batch in _closing(reader.batches(dataset, seed=self.seed,
                                             worker_num=int(self.cfg.get('worker_num', 0)))):
            outputs = self.model(to_model_inputs(batch))
            metric.update(batch, {k: v.numpy() for k, v in outputs.items()
                                  if k in ('bbox', 'bbox_num', 'mask')})
            progress.update(1)
        metric.accumulate()
        self.last_metric = metric  # per-class values for tools/eval.py's JSON
        result = metric.result()
        self.log(metric.per_class_table())
        self.log(f'{self.cfg.get("metric")} {main_value(result) * 100:.2f}% on '
                 f'{len(dataset)} images in {time.perf_counter() - t0:.1f}s')
        if was_training:
            self.model.train()
        return result
