"""Exported-model latency on CPU: Paddle Inference and ONNX Runtime next to the dygraph model.

`python tools/benchmark.py deploy -c configs/yolov3/yolov3_mobilenet_v1_270e_coco.yml --size 320`

Protocol (that of `tools/benchmark.py model`): OMP_NUM_THREADS=1 unless set (and one CPU
thread for both runtimes), random weights with a fixed seed, batch 1, an already
preprocessed random image, median of `--runs` runs after one warm-up, post-processing (NMS)
included everywhere: in the program for dygraph and Paddle Inference, in numpy after the ONNX
graph. Paddle Inference runs with oneDNN where the runner would use it (ppdet/deploy/onednn.py),
and without it as well.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, List

if 'paddle' not in sys.modules:
    from ppdet.utils.cpu import tune_math_library
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    tune_math_library()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('-c', '--config', required=True, help='top-level config file')
    parser.add_argument('--size', type=int, default=320, help='square input size in pixels')
    parser.add_argument('--runs', type=int, default=5, help='timed runs (median reported)')
    parser.add_argument('--no-onnx', dest='onnx', action='store_false',
                        help='skip ONNX Runtime (paddle2onnx/onnxruntime not installed)')
    parser.add_argument('--json', default=None, help='also write the results to this file')


def _inputs(size: int) -> List[Any]:
    import numpy as np
    image = np.random.default_rng(0).standard_normal((1, 3, size, size)).astype('float32')
    return [image, np.array([[size, size]], 'float32'), np.array([[1.0, 1.0]], 'float32')]


def _save_program(model: Any, directory: str, size: int) -> tuple:
    """The model saved as tools/export_model.py saves it (same inputs, batch and pruning)."""
    from ppdet.engine.export import ExportableDetector, input_specs, save_program
    wrapped = ExportableDetector(model)
    wrapped.eval()
    save_program(wrapped, input_specs(model, size, size), os.path.join(directory, 'model'))
    program = next(os.path.join(directory, f) for f in ('model.json', 'model.pdmodel')
                   if os.path.isfile(os.path.join(directory, f)))
    return program, os.path.join(directory, 'model.pdiparams')


def _backend_fn(backend: Any, inputs: List[Any]) -> Callable[[], object]:
    feeds = dict(zip(('image', 'im_shape', 'scale_factor'), inputs))
    return lambda: backend.finish(backend.infer(feeds))


def _measure(cfg: Any, size: int, runs: int, onnx: bool, log: Callable[[str], Any]
             ) -> Dict[str, Dict[str, Any]]:
    import numpy as np
    import paddle
    from ppdet.benchmark.timing import time_runs
    from ppdet.core.workspace import create
    from ppdet.deploy.backends import (OnnxRuntimeBackend, PaddleInferenceBackend,
                                       RuntimeOptions)
    from ppdet.deploy.infer_config import NmsParams
    from ppdet.deploy.onednn import onednn_blockers
    paddle.seed(0)
    np.random.seed(0)
    model = create(cfg.architecture, cfg)
    model.eval()
    inputs = _inputs(size)
    threads = int(os.environ.get('OMP_NUM_THREADS') or 1)
    tensors = [paddle.to_tensor(a) for a in inputs]
    x = dict(zip(('image', 'im_shape', 'scale_factor'), tensors))

    def dygraph():
        with paddle.no_grad():
            model(x)['bbox'].numpy()
    out = {'dygraph': time_runs(dygraph, runs=runs)}
    with tempfile.TemporaryDirectory(prefix='ppdet_bench_') as tmp:
        program, params = _save_program(model, tmp, size)
        blocked = onednn_blockers(program)
        for onednn in ([False] if blocked else [True, False]):
            backend = PaddleInferenceBackend(program, params,
                                             RuntimeOptions('CPU', threads, onednn), log)
            out[backend.describe()] = time_runs(_backend_fn(backend, inputs), runs=runs)
        if blocked:
            out['Paddle Inference on CPU with oneDNN'] = {'skipped': '; '.join(blocked)}
        from ppdet.deploy.onnx_support import onnx_refusal
        refusal = onnx_refusal(model) if onnx else None
        if refusal:
            out['ONNX Runtime on CPU (+ NMS in numpy)'] = {'skipped': refusal.split(': ', 1)[1]}
        elif onnx:
            from ppdet.deploy.errors import DeployError
            from ppdet.deploy.onnx_export import export_onnx
            try:
                section, _ = export_onnx(model, tmp, (3, size, size), inputs)
            except DeployError as e:  # e.g. the check refuses the file: report, do not time
                out['ONNX Runtime on CPU (+ NMS in numpy)'] = {'skipped': str(e)}
                return out
            backend = OnnxRuntimeBackend(os.path.join(tmp, 'model.onnx'),
                                         NmsParams.from_mapping(section['nms'], 'benchmark'),
                                         RuntimeOptions('CPU', threads), log)
            out[backend.describe()] = time_runs(_backend_fn(backend, inputs), runs=runs)
    return out


def run(args: argparse.Namespace) -> int:
    from ppdet.core.workspace import load_config
    cfg = load_config(args.config)
    threads = os.environ.get('OMP_NUM_THREADS')
    res = _measure(cfg, args.size, args.runs, args.onnx, print)
    from ppdet.modeling.native import status
    print(f'{args.config} @ {args.size}px, batch 1, OMP_NUM_THREADS={threads}, '
          f'median of {args.runs}')
    print(f'dygraph kernels: {status()}')
    print(f'{"runtime":<52}{"median (s)":>11}{"min":>8}{"max":>8}{"vs dygraph":>12}')
    base = res['dygraph']['median']
    for name, r in res.items():
        if 'skipped' in r:
            print(f'{name:<52}  skipped: {r["skipped"]}')
            continue
        print(f'{name:<52}{r["median"]:>11.3f}{r["min"]:>8.3f}{r["max"]:>8.3f}'
              f'{r["median"] / base:>11.2f}x')
    if args.json:
        Path(args.json).write_text(json.dumps({'config': args.config, 'size': args.size,
                                               'threads': threads, 'results': res}, indent=1))
    return 0
