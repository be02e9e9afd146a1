"""`deploy/python/infer.py`: run an exported model folder on images, PaddleDetection's flags.

    python deploy/python/infer.py --model_dir output_inference/yolov3_mobilenet_v1_bccd \\
        --image_file a.jpg | --image_dir folder [--threshold 0.5] [--output_dir output] \\
        [--device CPU|GPU] [--runtime auto|paddle|onnx] [--run_benchmark True]

Writes the drawn images and `detections.json` (the same format as tools/infer.py) into
--output_dir. `--runtime auto` runs the Paddle program when the folder has one, else
model.onnx.
"""
from __future__ import annotations

import argparse
import os
from typing import List, Optional

from ppdet.deploy.backends import DEVICES, RuntimeOptions
from ppdet.deploy.errors import DeployError
from ppdet.deploy.flags import add_bool_flag, check_unsupported
from ppdet.deploy.infer_config import INFER_CFG, RUNTIMES

__all__ = ['build_parser', 'main', 'collect_inputs']


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description='Run an exported detector (Paddle Inference or '
                                            'ONNX Runtime) on images.')
    p.add_argument('--model_dir', required=True,
                   help='folder written by tools/export_model.py (infer_cfg.yml, model.*)')
    p.add_argument('--image_file', default=None, help='one image')
    p.add_argument('--image_dir', default=None, help='a folder of images (not recursive)')
    p.add_argument('--batch_size', type=int, default=1, help='images per run (default 1)')
    p.add_argument('--threshold', type=float, default=0.5,
                   help='lowest score drawn and listed in detections.json (default 0.5)')
    p.add_argument('--output_dir', default='output', help='drawn images + detections.json')
    p.add_argument('--device', default='CPU', type=str.upper, help='CPU (default) or GPU')
    p.add_argument('--runtime', default='auto', choices=RUNTIMES,
                   help='auto: the Paddle program if present, else model.onnx')
    p.add_argument('--run_mode', default='paddle',
                   help="PaddleDetection's engine choice; only 'paddle' (TensorRT modes are "
                        "not supported)")
    p.add_argument('--cpu_threads', type=int, default=1, help='CPU threads (default 1)')
    add_bool_flag(p, '--enable_mkldnn', None,
                  'oneDNN on CPU (default: on unless the model holds ops it breaks on)')
    add_bool_flag(p, '--use_gpu', None, "PaddleDetection's older form of --device GPU")
    add_bool_flag(p, '--run_benchmark', False, 'time preprocess / inference / postprocess')
    add_bool_flag(p, '--save_results', False,
                  'also write bbox.json (every detection, COCO results format)')
    return p


def collect_inputs(image_file: Optional[str], image_dir: Optional[str]):
    """The images to run on, as tools/infer.py collects them (ppdet.engine.inference)."""
    from ppdet.data.source.image_info import IMAGE_EXTENSIONS
    from ppdet.engine.inference import ImageList
    if not image_file and not image_dir:
        raise DeployError('nothing to run on: give --image_file a.jpg or --image_dir folder')
    out = ImageList([])
    if image_file:
        if not os.path.isfile(image_file):
            raise DeployError(f'--image_file {image_file}: no such file')
        out.images.append(image_file)
    if image_dir:
        if not os.path.isdir(image_dir):
            raise DeployError(f'--image_dir {image_dir}: no such folder')
        for name in sorted(os.listdir(image_dir)):
            path = os.path.join(image_dir, name)
            if os.path.isfile(path):
                (out.images if name.lower().endswith(IMAGE_EXTENSIONS)
                 else out.non_images).append(path)
        if not out.images:
            raise DeployError(f'--image_dir {image_dir} holds no image files '
                              f'({", ".join(IMAGE_EXTENSIONS)})')
    return out


def _options(args: argparse.Namespace) -> RuntimeOptions:
    if args.run_mode != 'paddle':
        raise DeployError(f'--run_mode {args.run_mode}: only paddle is supported here '
                          f'(TensorRT is not); ONNX Runtime is --runtime onnx')
    device = 'GPU' if args.use_gpu else args.device
    if device not in DEVICES:
        raise DeployError(f'--device {args.device}: choose CPU or GPU')
    return RuntimeOptions(device, args.cpu_threads, args.enable_mkldnn)


def main(argv: Optional[List[str]] = None) -> int:
    from ppdet.utils.cpu import tune_math_library
    tune_math_library()  # before Paddle Inference loads MKL
    args, extra = build_parser().parse_known_args(argv)
    check_unsupported(extra)
    if not 0.0 <= args.threshold <= 1.0:
        raise DeployError(f'--threshold {args.threshold}: give a score in [0, 1]')
    options = _options(args)
    images = collect_inputs(args.image_file, args.image_dir)
    from ppdet.deploy.report import print_benchmark, print_summary
    from ppdet.deploy.runner import DeployDetector
    from ppdet.engine.inference import write_predictions
    detector = DeployDetector(args.model_dir, args.runtime, options, args.batch_size)
    print(f'{detector.config.arch} from {args.model_dir}: {detector.backend.describe()}; '
          f'classes ({INFER_CFG}): {", ".join(detector.class_names)}')
    outputs = write_predictions(detector.predict(images), images, detector.class_names,
                                args.output_dir, args.threshold, args.save_results,
                                f'{INFER_CFG} label_list')
    print_summary(outputs, images)
    if args.run_benchmark and outputs.counts['images']:
        readable = [f for f in images.images if f not in dict(images.unreadable)]
        print_benchmark(detector, readable)
    return 0
