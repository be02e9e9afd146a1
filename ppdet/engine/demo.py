"""The README's first command: train a detector on the shipped BCCD data, evaluate it on the
test split, draw example detections, and say what was produced and where.

Which config runs is decided by one visible rule, printed at the start:
- the zoo weights named by `pretrain_weights` of the fine-tune config are cached or can be
  downloaded (short timeout)      -> fine-tune config (`configs/demo/bccd_finetune.yml`);
- otherwise, or with `offline=True` -> from-scratch config (`configs/demo/bccd_scratch.yml`).
Everything else (model, input size, schedule, optimiser, augmentation, the evaluated split) is
in those YAML files; this module only sequences train -> evaluate -> draw.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence

from ppdet.core.errors import PPDetError, WeightsError
from ppdet.utils.threads import use_cpu_threads

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


def run_demo(choice: DemoChoice, output_dir: str, overrides: Sequence[str] = (),
             num_images: int = 4, threshold: float = 0.5,
             log: Callable[[str], None] = print) -> DemoResult:
    """Train `choice.config` (+ `overrides`), evaluate the saved final model on the config's
    EvalDataset, and draw detections of its first `num_images` images into `output_dir`."""
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.engine.distributed import select_device
    from ppdet.engine.trainer import Trainer

    t0 = time.perf_counter()
    cfg = merge_config(load_config(choice.config, validate=False), list(overrides))
    for notice in cfg.notices:
        log(f'note: {notice}')
    select_device(bool(cfg.get('use_gpu', False)))
    if choice.weights_path and cfg.get('pretrain_weights'):
        cfg['pretrain_weights'] = choice.weights_path   # the file resolved above, no re-check
    trainer = Trainer(cfg, 'train', output_dir=output_dir, log=log)
    summary = trainer.train(validate=False)
    t_train = time.perf_counter()

    final = os.path.join(output_dir, 'model_final')
    evaluator = Trainer(cfg, 'eval', output_dir=output_dir, log=lambda *_: None)
    evaluator.load_weights(final)
    metric, dets = _evaluate_and_collect(evaluator, num_images)
    value = float(metric.result()['bbox'][0])
    log(metric.per_class_table())
    per_class = dict(zip(evaluator.class_names, metric.per_class_ap()))
    split = str(cfg['EvalDataset'].get('anno_path'))
    steps = max(1, trainer.reader.num_batches(trainer.dataset))
    trainer.record.log({'type': 'eval', 'split': split, 'iter': summary.get('iterations'),
                        'epoch': math.ceil(int(summary.get('iterations', 0)) / steps),
                        'map': value, 'metric_name': str(cfg.get('metric')),
                        'per_class_ap': per_class})
    trainer.record.plot()
    t_eval = time.perf_counter()

    images, json_path = _write_detections(evaluator, [d['im_file'] for d in dets], dets,
                                          os.path.join(output_dir, 'detections'), threshold)
    t_end = time.perf_counter()
    return DemoResult(choice, output_dir, value, str(cfg.get('metric')), split, per_class,
                      images, json_path,
                      seconds={'train': t_train - t0, 'eval': t_eval - t_train,
                               'draw': t_end - t_eval, 'total': t_end - t0})


def _evaluate_and_collect(trainer: Any, num_images: int):
    """One pass over the eval data: the metric, and the detections of the first images."""
    import paddle
    from ppdet.engine.batch import to_model_inputs
    from ppdet.engine.builders import build_metric
    metric = build_metric(trainer.cfg, trainer.dataset)
    if metric is None:
        raise PPDetError('the demo config has no metric: set metric: VOC')
    trainer.model.eval()
    kept: List[Dict[str, Any]] = []
    with paddle.no_grad():
        for batch in trainer.reader.batches(trainer.dataset,
                                            worker_num=int(trainer.cfg.get('worker_num', 0))):
            out = trainer.model(to_model_inputs(batch))
            out = {k: out[k].numpy() for k in ('bbox', 'bbox_num')}
            metric.update(batch, out)
            start = 0
            for i, n in enumerate(out['bbox_num'].reshape(-1).astype(int)):
                if len(kept) < num_images:
                    kept.append({'im_file': batch['im_file'][i],
                                 'dets': out['bbox'][start:start + n].reshape(-1, 6)})
                start += n
    metric.accumulate()
    return metric, kept


def _write_detections(trainer: Any, files: List[str], dets: List[Dict[str, Any]],
                      out_dir: str, threshold: float):
    """Images with boxes and class names (score >= threshold) and a detections.json, through
    the TestReader and `ppdet.engine.inference` (as tools/infer.py); the eval pass's own
    detections are drawn directly only when that module is not available."""
    try:
        from ppdet.engine.inference import ImageList, predict_images, write_predictions
    except ImportError:
        return _draw_directly(dets, trainer.class_names, out_dir, threshold)
    from ppdet.core.workspace import create
    images = ImageList(list(files))
    reader = create('TestReader', trainer.cfg)
    out = write_predictions(predict_images(trainer.model, reader, images), images,
                            trainer.class_names, out_dir, threshold,
                            names_from='the trained checkpoint', log=lambda *_: None)
    return list(out.drawn), out.detections_json


def _draw_directly(dets: List[Dict[str, Any]], class_names: Sequence[str], out_dir: str,
                   threshold: float):
    import cv2
    from ppdet.engine.visualize import draw_detections
    os.makedirs(out_dir, exist_ok=True)
    images, records = [], []
    for item in dets:
        image = cv2.imread(item['im_file'])
        if image is None:
            raise PPDetError(f'cannot read {item["im_file"]} to draw its detections')
        canvas, drawn = draw_detections(image, item['dets'], class_names, threshold)
        path = os.path.join(out_dir, os.path.basename(item['im_file']))
        cv2.imwrite(path, canvas)
        images.append(path)
        records.append({'file': item['im_file'], 'output': path, 'detections': drawn})
    json_path = os.path.join(out_dir, 'detections.json')
    with open(json_path, 'w') as f:
        json.dump({'draw_threshold': threshold, 'images': records}, f, indent=1)
    return images, json_path


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
    lines.append(f'  time: train {format_seconds(s["train"])}, evaluate '
                 f'{format_seconds(s["eval"])}, draw {format_seconds(s["draw"])}'
                 + (f'; wall {format_seconds(wall_seconds)}' if wall_seconds is not None
                    else ''))
    lines.append('=' * 72)
    return '\n'.join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        description='Train a detector on the shipped BCCD data (fine-tune from the zoo '
                    'weights when they can be fetched, else from scratch), evaluate it on the '
                    'test split and draw example detections.')
    p.add_argument('--output_dir', default='output/demo_bccd', help='run folder')
    p.add_argument('--offline', action='store_true',
                   help='do not try the network: train from scratch')
    p.add_argument('-c', '--config', default=None,
                   help='run this config instead of choosing between '
                        f'{SCRATCH_CONFIG} and {FINETUNE_CONFIG}')
    p.add_argument('-o', '--opt', nargs='+', action='append', default=None,
                   help='config overrides key=value, as in tools/train.py')
    p.add_argument('--num-images', '--num_images', dest='num_images', type=int, default=4,
                   help='test images to draw detections on')
    p.add_argument('--draw-threshold', '--draw_threshold', dest='threshold', type=float,
                   default=0.3, help='score threshold of the drawn boxes')
    p.add_argument('--threads', type=int, default=None,
                   help='CPU threads for Paddle (default: $OMP_NUM_THREADS if set, else every '
                        'core; Paddle alone would use one)')
    p.add_argument('--timeout', type=float, default=5.0,
                   help='seconds to wait for the weights server before going offline')
    return p


def main(argv: Optional[List[str]] = None) -> int:
    start = time.perf_counter()
    args = build_parser().parse_args(argv)
    print(f'demo: {use_cpu_threads(args.threads)}')
    from ppdet.core.overrides import flatten_override_args
    if args.config:
        choice = DemoChoice(args.config, True, f'-c {args.config} given: running it as is')
        from ppdet.core.workspace import load_config
        if load_config(args.config, validate=False).get('pretrain_weights'):
            choice.from_scratch = False
            choice.reason = f'-c {args.config} given: running it with its pretrain_weights'
    else:
        choice = choose_config(args.offline, args.timeout)
    print(f'demo: {choice.reason}')
    print(f'demo: config {choice.config}; run folder {args.output_dir}')
    result = run_demo(choice, args.output_dir, flatten_override_args(args.opt),
                      num_images=args.num_images, threshold=args.threshold)
    print(render_summary(result, time.perf_counter() - start))
    return 0
