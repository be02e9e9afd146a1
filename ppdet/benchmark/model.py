"""Model speed on CPU: median seconds of one inference and one training step, vs PaddleDetection.

`python tools/benchmark.py model -c configs/yolov3/yolov3_darknet53_270e_coco.yml --size 416`

Protocol (the one of reference/bench.json): one thread (OMP_NUM_THREADS=1, set before Paddle is
imported when this module is loaded by tools/benchmark.py; `paddle.set_num_threads`-like control
does not exist in Paddle, so an already-imported Paddle keeps its thread count and we say so),
random weights with a fixed seed, median of `--runs` runs after one warm-up. The native CPU
kernels (ppdet.modeling.native) run when built, as in training; the second header line says which
ran, and `PPDET_NATIVE=0` measures on Paddle's operators alone.
- infer: eval mode, batch 1, `image` already resized/normalised, post-processing included;
- train: forward + backward of the loss, batch 2, 3 and 5 random boxes per image (and, for a
  model with a mask head, each box's corners as its polygon), boxes and targets made by the
  reader's own box operators (NormalizeBox, PadBox, BboxXYXY2XYWH,
  Gt2YoloTarget, from its sample or batch transforms; without PadBox, as for R-CNN and
  RetinaNet, one box array per image); the optimiser update is not timed.
After the timed runs, one more run of each phase with every part timed says where the time
goes (`ppdet.benchmark.breakdown`: backbone, neck, heads, and the proposal, RoIAlign and
assignment helpers inside them); the medians above do not include that instrumentation.
On AMD processors MKL is pointed at its AVX2 kernels first (`ppdet.utils.cpu`), as the tools do.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

if 'paddle' not in sys.modules:
    from ppdet.utils.cpu import tune_math_library
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    tune_math_library()

# ../shared beside the project (developer machines and CI); absent in users' clones
DEFAULT_REFERENCE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))), 'shared', 'reference', 'bench.json')


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('-c', '--config', required=True, help='top-level config file')
    parser.add_argument('--size', type=int, default=416, help='square input size in pixels')
    parser.add_argument('--runs', type=int, default=5, help='timed runs (median reported)')
    parser.add_argument('--only', choices=['infer', 'train'], default=None)
    parser.add_argument('--reference', default=DEFAULT_REFERENCE,
                        help='bench.json with PaddleDetection figures (skipped if absent)')
    parser.add_argument('--json', default=None, help='also write the results to this file')


def _reference(path: str, config: str, size: int) -> Dict[str, float]:
    """Reference medians for the config (matched by its `family/name.yml` tail) and size."""
    p = Path(path)
    if not p.exists():
        return {}
    tail = '/'.join(Path(config).parts[-2:])
    for r in json.loads(p.read_text()).get('results', []):
        if r.get('config') == tail and r.get('infer', {}).get('size') == [size, size]:
            return {'infer': r['infer']['seconds']['median'],
                    'train': r['train']['seconds_fwd_bwd']['median']}
    return {}


def _random_boxes(rng, n: int, size: int):
    """`n` xyxy boxes inside a size x size image, 16..size/2 pixels a side."""
    import numpy as np
    wh = rng.uniform(16, size / 2, (n, 2))
    xy = rng.uniform(0, 1, (n, 2)) * (size - wh)
    return np.concatenate([xy, xy + wh], 1).astype('float32')


def _box_polygons(boxes) -> List[List[List[float]]]:
    """`gt_poly` for boxes: per object one polygon, the box's four corners (flat x, y list)."""
    return [[[float(x1), float(y1), float(x2), float(y1), float(x2), float(y2), float(x1),
              float(y2)]] for x1, y1, x2, y2 in boxes]


def _train_batch(cfg, size: int, num_classes: int, seed: int = 0,
                 polygons: bool = False) -> Dict[str, Any]:
    """Batch 2 with 3 and 5 boxes, passed through the reader's box/target operators; with
    `polygons` (models with a mask head) also `gt_poly`, one list per image.

    As the reference did, the box operators are taken from wherever the TrainReader lists them
    (YOLOv3 readers have NormalizeBox/PadBox among `batch_transforms`, SSD readers among
    `sample_transforms`), in reader order; images stay HWC until Permute's place (before
    Gt2YoloTarget, which reads CHW), so NormalizeBox divides by the real width and height.
    """
    import numpy as np
    import paddle
    from ppdet.core.workspace import create
    rng = np.random.default_rng(seed)
    samples = []
    for i, n in enumerate([3, 5]):
        img = rng.standard_normal((size, size, 3)).astype('float32')
        samples.append({'image': img, 'im_shape': np.array([size, size], 'float32'),
                        'scale_factor': np.array([1., 1.], 'float32'),
                        'gt_bbox': _random_boxes(rng, n, size),
                        'gt_class': rng.integers(0, num_classes, (n, 1)).astype('int32'),
                        'is_crowd': np.zeros((n, 1), 'int32'),
                        'difficult': np.zeros((n, 1), 'int32')})
    reader = cfg.get('TrainReader', {}) or {}
    wanted = ('NormalizeBox', 'PadBox', 'BboxXYXY2XYWH', 'Gt2YoloTarget')
    items = list(reader.get('sample_transforms', []) or []) + \
        list(reader.get('batch_transforms', []) or [])
    names = []
    chw = False
    for item in items:
        (name, kw), = item.items()
        if name not in wanted:
            continue
        kw = dict(kw or {})
        if name == 'Gt2YoloTarget':
            kw.setdefault('num_classes', num_classes)
            if not chw:
                for s in samples:
                    s['image'] = np.ascontiguousarray(s['image'].transpose(2, 0, 1))
                chw = True
        samples = create({'name': name, **kw}, cfg)(samples, rng)
        names.append(name)
    if not chw:
        for s in samples:
            s['image'] = np.ascontiguousarray(s['image'].transpose(2, 0, 1))
    batch: Dict[str, Any] = {}
    if polygons:
        batch['gt_poly'] = [_box_polygons(s['gt_bbox']) for s in samples]
    for k in samples[0]:
        if k == 'num_cut_boxes':
            continue
        if k in ('gt_bbox', 'gt_class', 'is_crowd', 'difficult') and 'PadBox' not in names:
            batch[k] = [paddle.to_tensor(s[k]) for s in samples]  # one array per image
            continue
        batch[k] = paddle.to_tensor(np.stack([s[k] for s in samples]))
    return batch


def _measure(cfg, size: int, runs: int, only: Optional[str]) -> Dict[str, Any]:
    import numpy as np
    import paddle
    from ppdet.benchmark.timing import time_runs
    from ppdet.core.workspace import create
    paddle.seed(0)
    np.random.seed(0)
    model = create(cfg.architecture, cfg)
    num_classes = int(cfg.get('num_classes', 80))
    out: Dict[str, Any] = {}
    if only in (None, 'infer'):
        model.eval()
        x = {'image': paddle.randn([1, 3, size, size]),
             'im_shape': paddle.to_tensor([[float(size), float(size)]]),
             'scale_factor': paddle.to_tensor([[1.0, 1.0]])}

        def infer():
            with paddle.no_grad():
                res = model(x)
                res['bbox'].numpy()  # wait for the result
        out['infer'] = time_runs(infer, runs=runs)
        out['infer_parts'] = _breakdown(model, infer, 'where inference time goes')
    if only in (None, 'train'):
        model.train()
        batch = _train_batch(cfg, size, num_classes,
                             polygons=getattr(model, 'mask_head', None) is not None)

        def train():
            loss = model(dict(batch))['loss']
            loss.backward()
            model.clear_gradients()
        out['train'] = time_runs(train, runs=runs)
        out['train_parts'] = _breakdown(model, train, 'where training-step time goes '
                                        '(forward parts; the backward pass is outside them)')
    out['peak_rss_mb'] = _peak_rss_mb()
    return out


def _breakdown(model, step, title: str) -> List[str]:
    """One more run of `step` with every part timed (ppdet.benchmark.breakdown)."""
    import time
    from ppdet.benchmark.breakdown import instrumented, render_breakdown
    with instrumented(model) as clock:
        t0 = time.perf_counter()
        step()
        total = time.perf_counter() - t0
    return render_breakdown(clock, total, title)


def _peak_rss_mb() -> float:
    """Peak resident memory of this process so far (Linux/macOS), in MB."""
    import resource
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1 << 20) if sys.platform == 'darwin' else peak / 1024


def run(args: argparse.Namespace) -> int:
    from ppdet.core.workspace import load_config
    threads = os.environ.get('OMP_NUM_THREADS')
    cfg = load_config(args.config)
    res = _measure(cfg, args.size, args.runs, args.only)
    ref = _reference(args.reference, args.config, args.size)
    from ppdet.modeling.native import status
    kernels = status()
    print(f'{args.config} @ {args.size}px, OMP_NUM_THREADS={threads}, median of {args.runs}')
    print(kernels)
    print(f'{"phase":<8}{"ours (s)":>10}{"min":>8}{"max":>8}{"ref (s)":>10}{"ratio":>8}')
    rows: List[Dict[str, Any]] = []
    peak = res.pop('peak_rss_mb')
    parts = [res.pop(k) for k in ('infer_parts', 'train_parts') if k in res]
    for phase, r in res.items():
        ref_s = ref.get(phase)
        ratio = r['median'] / ref_s if ref_s else None
        print(f'{phase:<8}{r["median"]:>10.3f}{r["min"]:>8.3f}{r["max"]:>8.3f}'
              f'{(f"{ref_s:.3f}" if ref_s else "-"):>10}'
              f'{(f"{ratio:.2f}x" if ratio else "-"):>8}')
        rows.append({'phase': phase, 'ours': r, 'reference': ref_s, 'ratio': ratio})
    print(f'peak RSS {peak:.0f} MB (the whole process: model, inputs, '
          f'{"training step" if "train" in res else "inference"})')
    for lines in parts:
        print('\n'.join(lines))
    if args.json:
        Path(args.json).write_text(json.dumps({'config': args.config, 'size': args.size,
                                               'threads': threads, 'kernels': kernels,
                                               'results': rows, 'peak_rss_mb': peak,
                                               'breakdown': parts},
                                              indent=1))
    return 0
