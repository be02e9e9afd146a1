"""The one evaluation of the engine: `tools/eval.py`, training's `--eval` and the demo all run
the config's metric over a dataset through `Evaluator.run`.

The evaluator owns no model: it is handed one (with whatever weights the caller chose — raw,
EMA, loaded from a checkpoint), puts it in eval mode for the pass and back afterwards.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping

import numpy as np
import paddle

from ppdet.core.errors import ConfigError, PPDetError
from ppdet.engine.batch import to_model_inputs
from ppdet.engine.builders import build_metric, main_value
from ppdet.engine.progress import Progress

__all__ = ['Evaluation', 'Evaluator', 'evaluate_results_file', 'closing']


def closing(batches: Any) -> Any:
    """Iterate `batches` and close the generator however the loop ends, so reader workers
    stop now rather than at interpreter exit."""
    try:
        yield from batches
    finally:
        close = getattr(batches, 'close', None)
        if close is not None:
            close()


@dataclass
class Evaluation:
    """One pass of the metric. `value` is the headline (mAP, or COCO AP@[.5:.95]) in 0..1;
    NaN when the pass only collected predictions. `kept` holds the detections of the first
    images asked for: {'im_file', 'dets' [n, 6] (class, score, x1, y1, x2, y2)}."""
    result: Dict[str, Any]
    metric: Any
    value: float
    images: int
    seconds: float
    kept: List[Dict[str, Any]] = field(default_factory=list)
    split: str = ''      # the evaluated annotation file, as the config names it


class Evaluator:
    """Runs `metric:` over `dataset` as read by `reader`; prints the per-class table and one
    summary line through `log`."""

    def __init__(self, cfg: Mapping[str, Any], dataset: Any, reader: Any, *, seed: int = 0,
                 worker_num: int = 0, log: Callable[[str], None] = print,
                 show_progress: bool = True, amp: bool = False) -> None:
        self.cfg = cfg
        self.dataset = dataset
        self.reader = reader
        self.seed = seed
        self.worker_num = worker_num
        self.log = log
        self.show_progress = show_progress
        self.amp = amp

    def _metric(self) -> Any:
        metric = build_metric(self.cfg, self.dataset)
        if metric is None:
            raise ConfigError('the config has no metric: set metric: VOC or metric: COCO')
        return metric

    @paddle.no_grad()
    def run(self, model: Any, keep: int = 0, accumulate: bool = True) -> Evaluation:
        """One pass over the dataset. `keep`: detections of the first images to return;
        `accumulate=False` collects predictions without computing the metric."""
        metric = self._metric()
        was_training = model.training
        model.eval()
        progress = Progress(self.reader.num_batches(self.dataset), 'eval', every=20,
                            enabled=self.show_progress)
        kept: List[Dict[str, Any]] = []
        t0 = time.perf_counter()
        try:
            for batch in closing(self.reader.batches(self.dataset, seed=self.seed,
                                                     worker_num=self.worker_num)):
                outputs = self._forward(model, batch)
                metric.update(batch, outputs)
                _keep_first(kept, keep, batch, outputs)
                progress.update(1)
        finally:
            if was_training:
                model.train()
        seconds = time.perf_counter() - t0
        if not accumulate:
            return Evaluation({}, metric, float('nan'), len(self.dataset), seconds, kept,
                              _split(self.dataset))
        metric.accumulate()
        return self._report(metric, seconds, kept)

    def _forward(self, model: Any, batch: Dict[str, Any]) -> Dict[str, np.ndarray]:
        inputs = to_model_inputs(batch)
        if self.amp:
            with paddle.amp.auto_cast():
                out = model(inputs)
        else:
            out = model(inputs)
        return {k: np.asarray(out[k].numpy()) for k in ('bbox', 'bbox_num', 'mask') if k in out}

    def _report(self, metric: Any, seconds: float, kept: List[Dict[str, Any]]) -> Evaluation:
        result = metric.result()
        value = main_value(result)
        self.log(metric.per_class_table())
        self.log(f'{self.cfg.get("metric")} {value * 100:.2f}% on {len(self.dataset)} images '
                 f'in {seconds:.1f}s')
        return Evaluation(result, metric, value, len(self.dataset), seconds, kept,
                          _split(self.dataset))


def _split(dataset: Any) -> str:
    return str(getattr(dataset, 'anno_path', '') or '')


def _keep_first(kept: List[Dict[str, Any]], limit: int, batch: Dict[str, Any],
                outputs: Dict[str, np.ndarray]) -> None:
    start = 0
    for i, n in enumerate(outputs['bbox_num'].reshape(-1).astype(int)):
        if len(kept) < limit:
            kept.append({'im_file': batch['im_file'][i],
                         'dets': outputs['bbox'][start:start + n].reshape(-1, 6)})
        start += n


def evaluate_results_file(cfg: Mapping[str, Any], dataset: Any, path: str,
                          log: Callable[[str], None] = print) -> Evaluation:
    """`tools/eval.py --json_eval`: the COCO metric over detections already written in COCO
    results format (the bbox.json of an earlier `--save_prediction_only` or eval run)."""
    if cfg.get('metric') != 'COCO':
        raise ConfigError(f'--json_eval evaluates a COCO results file (bbox.json); this '
                          f'config has metric: {cfg.get("metric")}; run tools/eval.py without '
                          f'--json_eval')
    if not os.path.isfile(path):
        raise PPDetError(f'--json_eval: {path} does not exist; write it first with '
                         f'tools/eval.py --save_prediction_only --output_eval '
                         f'{os.path.dirname(path) or "."}')
    with open(path, encoding='utf-8') as f:
        results = json.load(f)
    if not isinstance(results, list):
        raise PPDetError(f'--json_eval: {path} is not a COCO results list')
    metric = build_metric(cfg, dataset)
    metric.results = results
    t0 = time.perf_counter()
    metric.accumulate()
    return Evaluator(cfg, dataset, None, log=log)._report(metric, time.perf_counter() - t0, [])
