"""`tools/eval.py`: evaluate trained weights on the EvalDataset with the config's metric.

    python tools/eval.py -c cfg.yml -o weights=output/cfg/model_final [--output_eval dir]

The weights must be this model's, whole (see `trained_weights`); the per-class AP table is
printed, and `eval_results.json` (plus COCO's `bbox.json` of detections for `metric: COCO`)
is written into --output_eval (default: the run folder `<save_dir>/<config name>`); models with
masks also get segm stats and `mask.json` (RLE).
"""
from __future__ import annotations

import argparse
import math
import os
import time
from typing import Any, Dict, List, Optional

from ppdet.core.cli import add_config_args
from ppdet.engine.cli_common import prepare_run
from ppdet.utils.fileio import atomic_write_json

__all__ = ['main', 'build_parser', 'eval_summary']


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description='Evaluate trained weights (-o weights=...).')
    add_config_args(p)
    p.add_argument('--output_eval', default=None,
                   help='folder for eval_results.json (default: <save_dir>/<config name>)')
    p.add_argument('--classwise', action='store_true',
                   help='accepted for PaddleDetection command lines: the per-class AP table '
                        'is always printed and written')
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


def eval_summary(cfg: Any, weights: Any, result: Dict[str, Any], metric: Any, images: int,
                 seconds: float) -> Dict[str, Any]:
    """What eval_results.json holds: the headline value, every metric number, per class."""
    from ppdet.engine.builders import main_value
    kind = cfg.get('metric')
    out: Dict[str, Any] = {
        'metric': kind, 'weights': weights.path, 'architecture': cfg.get('architecture'),
        'images': images, 'seconds': round(seconds, 2), 'map': _num(main_value(result)),
    }
    if kind == 'VOC':
        out['map_type'] = cfg.get('map_type', '11point')
        out['iou_threshold'] = getattr(metric, 'overlap_thresh', 0.5)
    if kind == 'COCO':
        from ppdet.metrics import STAT_NAMES
        out['stats'] = {n: _num(v) for n, v in zip(STAT_NAMES, result.get('bbox', []))}
        if 'segm' in result:
            out['segm_stats'] = {n: _num(v) for n, v in zip(STAT_NAMES, result['segm'])}
    out['per_class'] = _per_class(metric)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from ppdet.engine.cli_train import default_output_dir
    cfg, _device = prepare_run(args)
    from ppdet.engine.trained_weights import load_trained_weights, read_trained_weights
    from ppdet.engine.trainer import Trainer
    weights = read_trained_weights(cfg.get('weights'))
    trainer = Trainer(cfg, 'eval')
    load_trained_weights(trainer, weights)
    t0 = time.perf_counter()
    result = trainer.evaluate()
    metric = trainer.last_metric
    out_dir = args.output_eval or default_output_dir(cfg, args.config)
    os.makedirs(out_dir, exist_ok=True)
    summary = eval_summary(cfg, weights, result, metric, len(trainer.dataset),
                           time.perf_counter() - t0)
    path = os.path.join(out_dir, 'eval_results.json')
    atomic_write_json(path, summary)
    print(f'wrote {path}')
    if cfg.get('metric') == 'COCO' and getattr(metric, 'results', None) is not None:
        det_path = os.path.join(out_dir, 'bbox.json')
        atomic_write_json(det_path, metric.results)
        print(f'wrote {det_path} ({len(metric.results)} detections, COCO results format)')
    if getattr(metric, 'has_masks', False):
        mask_path = os.path.join(out_dir, 'mask.json')
        atomic_write_json(mask_path, metric.segm_results)
        print(f'wrote {mask_path} ({len(metric.segm_results)} masks, COCO results format, RLE)')
    return 0
