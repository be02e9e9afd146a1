"""PaddleDetection's command-line forms for deploy/python/infer.py.

Boolean flags take `--flag`, `--flag=True` and `--flag True` (true/false/1/0, any case), as
PaddleDetection's `ast.literal_eval` flags do. Flags of PaddleDetection's runner that this one
does not implement are named in a one-line error rather than argparse's "unrecognized".
"""
from __future__ import annotations

import argparse
from typing import Dict, List, Optional

from ppdet.deploy.errors import DeployError

__all__ = ['parse_bool', 'add_bool_flag', 'UNSUPPORTED_FLAGS', 'check_unsupported']

_TRUE = ('true', '1', 'yes', 'on')
_FALSE = ('false', '0', 'no', 'off')

# PaddleDetection deploy flags we do not implement -> why
UNSUPPORTED_FLAGS: Dict[str, str] = {
    '--video_file': 'video input is not supported; extract frames and use --image_dir',
    '--camera_id': 'camera input is not supported; use --image_file or --image_dir',
    '--trt_min_shape': 'TensorRT is not supported here',
    '--trt_max_shape': 'TensorRT is not supported here',
    '--trt_opt_shape': 'TensorRT is not supported here',
    '--trt_calib_mode': 'TensorRT is not supported here',
    '--enable_mkldnn_bfloat16': 'bfloat16 inference is not supported here',
    '--save_mot_txts': 'tracking is not supported here',
    '--slice_infer': 'sliced inference is not supported here',
    '--use_dark': 'keypoint models are not supported here',
    '--reid_model_dir': 'tracking is not supported here',
    '--tracker_config': 'tracking is not supported here',
}


def parse_bool(text: str) -> bool:
    value = str(text).strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise argparse.ArgumentTypeError(f'expected true/false/1/0, got {text!r}')


def add_bool_flag(parser: argparse.ArgumentParser, name: str, default: Optional[bool],
                  help: str) -> None:
    parser.add_argument(name, type=parse_bool, nargs='?', const=True, default=default,
                        metavar='BOOL', help=help)


def check_unsupported(extra: List[str]) -> None:
    """DeployError for leftover arguments: a known PaddleDetection flag says why, others are
    named as unknown."""
    for item in extra:
        flag = item.split('=', 1)[0]
        if flag in UNSUPPORTED_FLAGS:
            raise DeployError(f'{flag}: {UNSUPPORTED_FLAGS[flag]}')
    if extra:
        raise DeployError(f'unknown argument(s) {" ".join(extra)}; see '
                          f'python deploy/python/infer.py --help')
