"""The README's first command: train a detector on the shipped BCCD data, evaluate it on the
test split, draw example detections, and say what was produced and where.

Which config runs is decided by one visible rule, printed at the start:
- the zoo weights named by `pretrain_weights` of the fine-tune config are cached or can be
  downloaded (short timeout)      -> fine-tune config (`configs/demo/bccd_finetune.yml`);
- otherwise, or with `offline=True` -> from-scratch config (`configs/demo/bccd_scratch.yml`).
Everything else (model, input size, schedule, optimiser, augmentation, the evaluated split) is
in those YAML files; this module only sequences train (evaluating at each snapshot) -> draw.
The command line is `ppdet.cli.demo`.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from ppdet.core.errors import WeightsError
from ppdet.engine.callbacks import Callback

__all__ = ['DemoChoice', 'DemoResult', 'choose_config', 'run_demo', 'SCRATCH_CONFIG',
           'FINETUNE_CONFIG', 'render_summary']

SCRATCH_CONFIG = 'configs/demo/bccd_scratch.yml'
FINETUNE_CONFIG = 'configs/demo/bccd_finetune.yml'


@dataclass
class DemoChoice:
    """The config the demo runs and why (`reason` is printed verbatim)."""
    config: str
    from_scratch: bool
    reason: str
    weights_path: Optional[str] = None


@dataclass
class DemoResult:
    choice: DemoChoice
    output_dir: str
    map_value: float                      # 0..1, the config's metric on the evaluated split
    metric_name: str
    eval_split: str
    per_class_ap: Dict[str, Optional[float]]
    detection_images: List[str]
    detections_json: str
    seconds: Dict[str, float] = field(default_factory=dict)


def choose_config(offline: bool = False, timeout: float = 5.0,
                  scratch_config: str = SCRATCH_CONFIG,
                  finetune_config: str = FINETUNE_CONFIG,
                  resolve: Optional[Callable[..., str]] = None) -> DemoChoice:
    """Fine-tune when the fine-tune config's `pretrain_weights` resolve (cache or download
    within `timeout` seconds per network operation), else train from scratch."""
    if offline:
        return DemoChoice(scratch_config, True, '--offline given: training from scratch '
                          '(no pretrained weights are used)')
    from ppdet.core.workspace import load_config
    source = load_config(finetune_config, validate=False).get('pretrain_weights')
    if not source:
        return DemoChoice(scratch_config, True, f'{finetune_config} names no pretrain_weights: '
                          'training from scratch')
    if resolve is None:
        from ppdet.checkpoint import resolve_weights_path as resolve
    try:
        path = resolve(source, timeout=timeout)
    except WeightsError as e:
        return DemoChoice(scratch_config, True,
                          f'the zoo weights are not cached and could not be downloaded '
                          f'({_first_line(e)}): NO INTERNET -> training FROM SCRATCH, '
                          f'expect a lower mAP than with pretrained weights')
    return DemoChoice(finetune_config, False, f'zoo weights available ({source} -> {path}): '
                      'fine-tuning from them', weights_path=path)


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0].split('; ')[0][:200] if text else type(e).__name__


def run_demo(choice: DemoChoice, cfg: Any, output_dir: str, num_images: int = 4,
             threshold: float = 0.5, log: Callable[[str], None] = print) -> DemoResult:
    """Train `cfg` (the config of `choice`, loaded) with evaluation at each snapshot — so
    map.png is a curve — and draw detections of the first `num_images` evaluated images with
    the final weights into `output_dir/detections`."""
    from ppdet.engine.callbacks import DurationForecast
    from ppdet.engine.trainer import Trainer

    t0 = time.perf_counter()
    if choice.weights_path and cfg.get('pretrain_weights'):
        cfg['pretrain_weights'] = choice.weights_path   # the file resolved above, no re-check
    trainer = Trainer(cfg, 'train', output_dir=output_dir, log=log)
    forecast = DurationForecast(log, prefix='demo: ')
    summary = trainer.train(validate=True, callbacks=[
        forecast, _EvaluationTime(log, forecast, _evaluations(cfg))])
    evaluation = summary['evaluation']
    t_train = time.perf_counter()
    files = [r['im_file'] for r in trainer.evaluator.dataset.records[:num_images]]
    with trainer.final_weights() as model:
        images, json_path = _write_detections(model, cfg, trainer.class_names, files,
                                              os.path.join(output_dir, 'detections'), threshold)
    t_end = time.perf_counter()
    per_class = dict(zip(trainer.class_names, evaluation.metric.per_class_ap()))
    return DemoResult(choice, output_dir, evaluation.value, str(cfg.get('metric')),
                      str(cfg['EvalDataset'].get('anno_path')), per_class, images, json_path,
                      seconds={'train': t_train - t0, 'eval': summary['eval_seconds'],
                               'draw': t_end - t_train, 'total': t_end - t0})


def _evaluations(cfg: Any) -> int:
    """How many times training evaluates: every `snapshot_epoch` epochs and at the last."""
    epochs, every = int(cfg.get('epoch', 1)), max(1, int(cfg.get('snapshot_epoch', 1)))
    return sum(1 for e in range(1, epochs + 1) if e % every == 0 or e == epochs)


class _EvaluationTime(Callback):
    """After the first evaluation: how long one takes here, and with the training forecast
    (when made by then) how long the whole demo will take."""

    def __init__(self, log: Callable[[str], None], forecast: Any, evaluations: int) -> None:
        self.log = log
        self.forecast = forecast
        self.evaluations = evaluations
        self.said = False

    def on_evaluation(self, run: Any, evaluation: Any) -> None:
        if self.said:
            return
        self.said = True
        line = (f'demo: one evaluation of {evaluation.images} images takes '
                f'{evaluation.seconds:.0f} s on this machine')
        if self.forecast.forecast is not None:
            from ppdet.engine.progress import format_seconds
            total = self.forecast.forecast + self.evaluations * evaluation.seconds
            line += (f'; with its {self.evaluations} evaluations the demo takes about '
                     f'{format_seconds(total)} here')
        self.log(line)


def _write_detections(model: Any, cfg: Any, class_names: Sequence[str], files: List[str],
                      out_dir: str, threshold: float):
    """Images with boxes and class names (score >= threshold) and a detections.json, through
    the TestReader and `ppdet.engine.inference`, as tools/infer.py draws them."""
    from ppdet.core.workspace import create
    from ppdet.engine.inference import ImageList, predict_images, write_predictions
    images = ImageList(list(files))
    out = write_predictions(predict_images(model, create('TestReader', cfg), images), images,
                            class_names, out_dir, threshold,
                            names_from='the trained checkpoint', log=lambda *_: None)
    return list(out.drawn), out.detections_json


def render_summary(result: DemoResult, wall_seconds: Optional[float] = None) -> str:
    """What was produced and where, for the end of the run."""
    from ppdet.engine.progress import format_seconds
    c = result.choice
    pct = (lambda v: 'n/a' if v is None or not math.isfinite(v) else f'{v * 100:.1f}%')
    start = 'from scratch (no pretrained weights)' if c.from_scratch else \
        f'fine-tuned from {c.weights_path}'
    lines = [
        '=' * 72,
        f'demo finished: {c.config}, {start}',
        f'  {result.metric_name} mAP on {result.eval_split}: {pct(result.map_value)}',
        '  per class: ' + ', '.join(f'{k} {pct(v)}' for k, v in result.per_class_ap.items()),
        f'  run folder:      {result.output_dir}',
        f'    model:         {os.path.join(result.output_dir, "model_final.pdparams")}',
        '    config, log:   config.yml, metrics.jsonl, plots (*.png) in the run folder',
        f'  detections:      {len(result.detection_images)} images in '
        f'{os.path.dirname(result.detections_json)}',
    ]
    lines += [f'    {p}' for p in result.detection_images]
    lines.append(f'    boxes as JSON: {result.detections_json}')
    s = result.seconds
    lines.append(f'  time: train {format_seconds(s["train"])} (of which evaluating '
                 f'{format_seconds(s["eval"])}), draw {format_seconds(s["draw"])}'
                 + (f'; wall {format_seconds(wall_seconds)}' if wall_seconds is not None
                    else ''))
    lines.append('=' * 72)
    return '\n'.join(lines)
