"""`tools/export_model.py`: trained weights -> static inference model + infer_cfg.yml.

    python tools/export_model.py -c cfg.yml -o weights=output/cfg/model_final \\
        [--output_dir output_inference] [--onnx]

Writes into `<output_dir>/<config name>/`. After saving, the tool loads the exported program
back and checks it returns the same boxes as the model on a test input, so a broken export
is caught here rather than in deployment. `--onnx` also writes model.onnx (network and box
decoding; deploy/python/infer.py adds the NMS) and checks it with ONNX Runtime the same way.
"""
from __future__ import annotations

import argparse
import os
from typing import List, Optional

import numpy as np

from ppdet.cli.parser import ToolParser, refuse_bool_flag, refuse_flag
from ppdet.core.cli import add_config_args
from ppdet.deploy.flags import add_bool_flag

__all__ = ['main', 'build_parser', 'check_input']

_FALLBACK_SIZE = 320  # test-input size when the exported shape is dynamic


def build_parser() -> argparse.ArgumentParser:
    p = ToolParser(prog='tools/export_model.py',
                   description='Export trained weights as a static model.')
    add_config_args(p)
    p.add_argument('--output_dir', default='output_inference',
                   help='parent folder; the model goes into <output_dir>/<config name>')
    add_bool_flag(p, '--onnx', False, 'also write model.onnx through paddle2onnx (needs '
                                      'paddle2onnx and onnxruntime)')
    refuse_bool_flag(p, '--export_serving_model', 'Paddle Serving models are not written; '
                     'the exported model runs with Paddle Inference')
    refuse_flag(p, '--slim_config', 'model compression (PaddleSlim) is not implemented')
    refuse_bool_flag(p, '--for_fd', 'FastDeploy layouts are not written')
    return p


def check_input(image_shape, seed: int = 0):
    """A deterministic test input (image, im_shape, scale_factor) for the exported shape."""
    _, h, w = image_shape
    h = h if h > 0 else _FALLBACK_SIZE
    w = w if w > 0 else _FALLBACK_SIZE
    image = np.random.default_rng(seed).standard_normal((1, 3, h, w)).astype('float32')
    im_shape = np.array([[h, w]], 'float32')
    scale = np.array([[h / 480.0, w / 640.0]], 'float32')  # as from a 640x480 original
    return image, im_shape, scale


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.onnx:  # before any work: a missing optional dependency is a one-line error
        from ppdet.deploy.errors import import_optional
        import_optional('paddle2onnx')
        import_optional('onnxruntime')
    from ppdet.cli.common import prepare_run, start
    start()
    cfg, _device = prepare_run(args)
    from ppdet.engine.export import (ExportableDetector, check_export_options, compare_outputs,
                                     export_model, load_exported, run_exported)
    from ppdet.engine.trained_weights import (load_trained_weights, prediction_class_names,
                                              read_trained_weights)
    from ppdet.engine.trainer import Trainer
    check_export_options(cfg)
    weights = read_trained_weights(cfg.get('weights'))
    trainer = Trainer(cfg, 'test')
    if args.onnx:  # before anything is written: a model paddle2onnx cannot take is refused
        from ppdet.deploy.errors import DeployError
        from ppdet.deploy.onnx_support import onnx_refusal
        refusal = onnx_refusal(trainer.model)
        if refusal:
            raise DeployError(refusal)
    names, names_from = prediction_class_names(trainer, weights)
    load_trained_weights(trainer, weights)
    stem = os.path.splitext(os.path.basename(args.config))[0]
    directory = os.path.join(args.output_dir, stem)
    result = export_model(trainer.model, cfg, trainer.reader, names, directory, weights.path)
    inputs = check_input(result.image_shape)
    dynamic = ExportableDetector(trainer.model)
    dynamic.eval()
    diff = compare_outputs(run_exported(dynamic, *inputs),
                           run_exported(load_exported(directory), *inputs, result.feeds))
    shape = ', '.join(str(d) for d in result.image_shape)
    batch = 'N' if result.batch_size is None else str(result.batch_size)
    print(f'exported {cfg.get("architecture")} (input [{batch}, {shape}], classes from '
          f'{names_from}) to {directory}:')
    for f in result.files:
        print(f'  {f}')
    print(f'reloaded and checked: same boxes as the model (max difference {diff:.2g})')
    if args.onnx:
        from ppdet.deploy.onnx_export import add_onnx_section, export_onnx
        section, onnx_diff = export_onnx(trainer.model, directory, result.image_shape,
                                         list(inputs))
        add_onnx_section(result.infer_cfg, section)
        print(f'  {os.path.join(directory, section["file"])} (network and box decoding; '
              f'deploy/python/infer.py applies the NMS)')
        print(f'ONNX Runtime checked: same boxes and scores before NMS as the model (max '
              f'difference {onnx_diff:.2g})')
    return 0

