"""Weight loading: an 80-class DarkNet53-YOLOv3 checkpoint into a 3-class model, with report.

    OMP_NUM_THREADS=1 python tools/benchmark.py loader --runs 5

Times `load_pretrain_weights` (safe unpickling of the ~250 MB file from the page cache,
matching, class-aware head transfer, writing every tensor into the model) plus
`render_load_report`, median of `--runs` after `--warmup` untimed runs. The model is the real
YOLOv3 built from our config when the modeling package is available (`--model real`), or a
layer with the identical state-dict layout from the shared reference keys (`--model keys`).
"""
from __future__ import annotations

import argparse
import json
import os
import pickle
import tempfile
from typing import Any, List, Tuple

import numpy as np

from ppdet.benchmark.timing import time_runs

__all__ = ['add_arguments', 'run']

_CONFIG = 'yolov3_darknet53_270e_coco'
_TARGET = ['person', 'car', 'dog']


_SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))), 'shared')

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--model', choices=('auto', 'real', 'keys'), default='auto',
                        help='real YOLOv3 from configs/, or a layer with the reference keys')
    parser.add_argument('--keys', default=os.path.join(
        os.environ.get('PPDET_SHARED', _SHARED), 'reference', 'keys', _CONFIG + '.json'))
    parser.add_argument('--workdir', default=None,
                        help='where the 80-class checkpoint is written (default: a temp dir)')
    parser.add_argument('--json', action='store_true', help='print the result as JSON')


def _real_model(num_classes: int) -> Any:
    from ppdet.core.workspace import create, load_config, merge_config
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    cfg = load_config(os.path.join(root, 'configs', 'yolov3', '_base_', 'yolov3_darknet53.yml'),
                      validate=False)
    merge_config(cfg, [f'num_classes={num_classes}'], validate=False)
    return create(cfg.architecture, cfg)


def _keys_model(keys: str, num_classes: int) -> Any:
    from ppdet.benchmark.shape_model import (ShapeTreeLayer, specs_from_keys_file,
                                             with_num_classes)
    from ppdet.modeling.class_layout import ClassLayout
    specs, _ = specs_from_keys_file(keys)
    layouts = {f'yolo_head.yolo_output.{i}': ClassLayout(5, 1, None) for i in range(3)}
    return ShapeTreeLayer(with_num_classes(specs, layouts, 80, num_classes), layouts)


def _build(kind: str, keys: str, num_classes: int) -> Tuple[Any, str]:
    if kind in ('auto', 'real'):
        try:
            return (_real_model(num_classes),
                    'real YOLOv3 (configs/yolov3/_base_/yolov3_darknet53.yml)')
        except Exception:
            if kind == 'real':
                raise
    return _keys_model(keys, num_classes), f'reference-keys layer ({os.path.basename(keys)})'


def _write_checkpoint(model: Any, directory: str) -> str:
    """A zoo-like file: plain state dict, random values, COCO name in the file name."""
    path = os.path.join(directory, _CONFIG + '.pdparams')
    rng = np.random.default_rng(0)
    sd = {k: rng.standard_normal(tuple(v.shape), dtype=np.float32)
          for k, v in model.state_dict().items()}
    with open(path, 'wb') as f:
        pickle.dump(sd, f, protocol=4)
    return path


def run(args: argparse.Namespace) -> int:
    from ppdet.checkpoint import load_pretrain_weights, render_load_report
    src_model, kind = _build(args.model, args.keys, 80)
    directory = args.workdir or tempfile.mkdtemp(prefix='ppdet-bench-loader-')
    os.makedirs(directory, exist_ok=True)
    path = _write_checkpoint(src_model, directory)
    del src_model
    model, _ = _build(args.model, args.keys, len(_TARGET))
    texts: List[str] = []

    def once() -> None:
        report = load_pretrain_weights(model, path, target_class_names=_TARGET)
        texts.append(render_load_report(report))

    result = time_runs(once, runs=args.runs, warmup=args.warmup)
    size_mb = os.path.getsize(path) / 1e6
    numel = sum(int(np.prod(v.shape)) for v in model.state_dict().values())
    out = {'bench': 'loader', 'model': kind, 'checkpoint_mb': round(size_mb, 1),
           'model_params': numel, 'median_s': round(result['median'], 4),
           'min_s': round(result['min'], 4), 'max_s': round(result['max'], 4),
           'runs': [round(x, 4) for x in result['runs']],
           'omp_num_threads': os.environ.get('OMP_NUM_THREADS')}
    if args.json:
        print(json.dumps(out))
    else:
        print(texts[-1])
        print()
        print(f"load + report: median {out['median_s']:.3f}s (min {out['min_s']:.3f}, "
              f"max {out['max_s']:.3f}) over {args.runs} runs; {kind}; "
              f"checkpoint {size_mb:.0f} MB; {numel / 1e6:.2f}M values in the model")
    return 0
