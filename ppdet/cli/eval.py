"""`tools/eval.py`: evaluate trained weights on the EvalDataset with the config's metric.

    python tools/eval.py -c cfg.yml -o weights=output/cfg/model_final [--output_eval dir]
        [--classwise] [--amp] [--save_prediction_only] [--json_eval]

The weights must be this model's, whole (see `trained_weights`); the per-class AP table is
printed, and `eval_results.json` (plus COCO's `bbox.json` of detections for `metric: COCO`;
models with masks also get segm stats and `mask.json`, RLE)
is written into --output_eval (default: the run folder `<save_dir>/<config name>`).
`--save_prediction_only` writes bbox.json without scoring it; `--json_eval` scores the
bbox.json found in --output_eval without running the model (both COCO).
"""
from __future__ import annotations

import math
import os
from typing import Any, Dict, List, Optional

from ppdet.cli.parser import ToolParser, add_bool_flag, refuse_bool_flag, refuse_flag
from ppdet.core.cli import add_config_args
from ppdet.utils.fileio import atomic_write_json

__all__ = ['main', 'build_parser', 'eval_summary']


def build_parser() -> ToolParser:
    p = ToolParser(prog='tools/eval.py', description='Evaluate trained weights (-o weights=...).')
    add_config_args(p)
    p.add_argument('--output_eval', default=None,
                   help='folder for eval_results.json (default: <save_dir>/<config name>)')
    add_bool_flag(p, '--classwise', 'accepted: the per-class AP table is always printed and '
                  'written')
    add_bool_flag(p, '--json_eval', 'score the COCO results file <output_eval>/bbox.json '
                  'instead of running the model')
    add_bool_flag(p, '--save_prediction_only', 'write the COCO results file bbox.json without '
                  'scoring it')
    add_bool_flag(p, '--amp', 'mixed precision inference (GPU only; on the CPU a note, then '
                  'float32)')
    add_bool_flag(p, '--rtn_im_file', 'accepted: results carry image ids, and bbox.json names '
                  'them by the dataset\'s ids')
    refuse_flag(p, '--slim_config', 'model compression (PaddleSlim) is not implemented')
    refuse_bool_flag(p, '--bias', 'the +1 pixel box convention of old evaluations is not used')
    refuse_bool_flag(p, '--slice_infer', 'sliced inference is not implemented')
    for name in ('--slice_size', '--overlap_ratio', '--combine_method', '--match_threshold',
                 '--match_metric'):
        refuse_flag(p, name, 'belongs to sliced inference, which is not implemented')
    return p


def _per_class(metric: Any) -> List[Dict[str, Any]]:
    """Per-class AP of a VOCMetric or COCOMetric as JSON rows (None: no ground truth)."""
    if metric is None:
        return []
    if hasattr(metric, 'per_class_ap'):
        return [{'class': n, 'ap': None if ap is None else float(ap)}
                for n, ap in zip(metric.class_names, metric.per_class_ap())]
    rows = []
    for row in getattr(metric, 'per_class', []) or []:
        name, ap, ap50 = row[0], row[1], row[2]
        rows.append({'class': name, 'ap': _num(ap), 'ap50': _num(ap50)})
    return rows


def _num(value: Any) -> Optional[float]:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def eval_summary(cfg: Any, weights_path: Optional[str], evaluation: Any) -> Dict[str, Any]:
    """What eval_results.json holds: the headline value, every metric number, per class."""
    kind = cfg.get('metric')
    metric = evaluation.metric
    out: Dict[str, Any] = {
        'metric': kind, 'weights': weights_path, 'architecture': cfg.get('architecture'),
        'images': evaluation.images, 'seconds': round(evaluation.seconds, 2),
        'map': _num(evaluation.value),
    }
    if kind == 'VOC':
        out['map_type'] = cfg.get('map_type', '11point')
        out['iou_threshold'] = getattr(metric, 'overlap_thresh', 0.5)
    if kind == 'COCO':
        from ppdet.metrics import STAT_NAMES
        out['stats'] = {n: _num(v) for n, v in zip(STAT_NAMES, evaluation.result.get('bbox', []))}
        if 'segm' in evaluation.result:
            out['segm_stats'] = {n: _num(v) for n, v in zip(STAT_NAMES,
                                                              evaluation.result['segm'])}
    out['per_class'] = _per_class(metric)
    return out


def _evaluate_model(cfg: Any, args: Any, on_gpu: bool):
    """Build the model, load the weights whole, run the evaluator once."""
    from ppdet.engine.evaluator import Evaluator
    from ppdet.engine.trained_weights import load_trained_weights, read_trained_weights
    from ppdet.engine.trainer import Trainer
    if args.save_prediction_only and cfg.get('metric') != 'COCO':
        from ppdet.core.errors import ConfigError
        raise ConfigError(f'--save_prediction_only writes COCO results (bbox.json); this '
                          f'config has metric: {cfg.get("metric")}; use tools/infer.py '
                          f'--save_results for detections of other datasets')
    weights = read_trained_weights(cfg.get('weights'))
    trainer = Trainer(cfg, 'eval')
    load_trained_weights(trainer, weights)
    evaluator = Evaluator(cfg, trainer.dataset, trainer.reader, seed=trainer.seed,
                          worker_num=int(cfg.get('worker_num', 0)), amp=args.amp and on_gpu)
    return weights.path, evaluator.run(trainer.model, accumulate=not args.save_prediction_only)


def _evaluate_json(cfg: Any, out_dir: str):
    from ppdet.engine.builders import build_data
    from ppdet.engine.evaluator import evaluate_results_file
    dataset, _ = build_data(cfg, 'eval')
    return None, evaluate_results_file(cfg, dataset, os.path.join(out_dir, 'bbox.json'))


def _write_outputs(cfg: Any, args: Any, out_dir: str, weights_path: Optional[str],
                   evaluation: Any) -> None:
    os.makedirs(out_dir, exist_ok=True)
    metric = evaluation.metric
    if not args.json_eval and cfg.get('metric') == 'COCO' and metric.results is not None:
        det_path = os.path.join(out_dir, 'bbox.json')
        atomic_write_json(det_path, metric.results)
        print(f'wrote {det_path} ({len(metric.results)} detections, COCO results format)')
    if not args.json_eval and getattr(metric, 'has_masks', False):
        mask_path = os.path.join(out_dir, 'mask.json')
        atomic_write_json(mask_path, metric.segm_results)
        print(f'wrote {mask_path} ({len(metric.segm_results)} masks, COCO results format, RLE)')
    if args.save_prediction_only:
        return
    path = os.path.join(out_dir, 'eval_results.json')
    atomic_write_json(path, eval_summary(cfg, weights_path, evaluation))
    print(f'wrote {path}')


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from ppdet.cli.common import prepare_run, start
    from ppdet.cli.train import default_output_dir
    start()
    cfg, device = prepare_run(args)
    on_gpu = device.startswith('gpu')
    if args.amp and not on_gpu:
        print('note: --amp needs a GPU; this evaluation runs in float32 on the CPU')
    out_dir = args.output_eval or default_output_dir(cfg, args.config)
    weights_path, evaluation = (_evaluate_json(cfg, out_dir) if args.json_eval
                                else _evaluate_model(cfg, args, on_gpu))
    _write_outputs(cfg, args, out_dir, weights_path, evaluation)
    return 0
