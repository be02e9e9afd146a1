"""What an exported model folder holds, read and checked before anything runs.

    <model_dir>/infer_cfg.yml          preprocessing, class names, architecture (+ `onnx:`)
    <model_dir>/model.json|.pdmodel    Paddle program, with model.pdiparams
    <model_dir>/model.onnx             the network without NMS (tools/export_model.py --onnx)

Every problem names the file and the key, and says how to get a usable folder.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from ppdet.deploy.errors import DeployError

__all__ = ['INFER_CFG', 'ONNX_FILE', 'PADDLE_PROGRAMS', 'PARAMS_FILE', 'NmsParams',
           'DeployConfig', 'load_deploy_config', 'paddle_program', 'RUNTIMES', 'pick_runtime']

INFER_CFG = 'infer_cfg.yml'
ONNX_FILE = 'model.onnx'
PADDLE_PROGRAMS = ('model.json', 'model.pdmodel')  # PIR program (paddle 3.x), legacy program
PARAMS_FILE = 'model.pdiparams'
RUNTIMES = ('auto', 'paddle', 'onnx')
_REEXPORT = 'export it again with tools/export_model.py -c CFG -o weights=...'


@dataclass(frozen=True)
class NmsParams:
    """`multiclass_nms3` arguments the ONNX runner applies to the graph's (boxes, scores)."""
    score_threshold: float
    nms_top_k: int
    keep_top_k: int
    nms_threshold: float
    normalized: bool
    background_label: int

    @classmethod
    def from_mapping(cls, value: Mapping[str, Any], where: str) -> 'NmsParams':
        try:
            return cls(float(value['score_threshold']), int(value['nms_top_k']),
                       int(value['keep_top_k']), float(value['nms_threshold']),
                       bool(value['normalized']), int(value['background_label']))
        except (KeyError, TypeError, ValueError) as e:
            raise DeployError(f'{where}: needs numbers score_threshold, nms_top_k, keep_top_k, '
                              f'nms_threshold, normalized, background_label ({e!r}); '
                              f'{_REEXPORT} --onnx') from None


@dataclass(frozen=True)
class DeployConfig:
    """infer_cfg.yml, checked. `preprocess` items are `{type: Name, arg: value, ...}`."""
    model_dir: str
    path: str
    arch: str
    label_list: List[str]
    preprocess: List[Dict[str, Any]]
    draw_threshold: float = 0.5
    onnx_nms: Optional[NmsParams] = None
    raw: Dict[str, Any] = field(default_factory=dict)
    batch_size: Optional[int] = None  # images per call when the program fixes it (R-CNN: 1)


def _read_yaml(path: str) -> Dict[str, Any]:
    if not os.path.isfile(path):
        raise DeployError(f'{path} not found: --model_dir must be a folder written by '
                          f'tools/export_model.py ({_REEXPORT})')
    try:
        with open(path, encoding='utf-8') as f:
            doc = yaml.safe_load(f)
    except yaml.YAMLError as e:
        raise DeployError(f'{path}: not valid YAML ({e}); {_REEXPORT}') from None
    if not isinstance(doc, dict):
        raise DeployError(f'{path}: expected a mapping of keys (Preprocess, label_list, ...); '
                          f'{_REEXPORT}')
    return doc


def _preprocess(doc: Mapping[str, Any], path: str) -> List[Dict[str, Any]]:
    ops = doc.get('Preprocess')
    if not isinstance(ops, list) or not ops:
        raise DeployError(f'{path}: Preprocess must be a non-empty list of {{type: Name, ...}} '
                          f'items; {_REEXPORT}')
    for i, op in enumerate(ops):
        if not isinstance(op, dict) or not isinstance(op.get('type'), str):
            raise DeployError(f'{path}: Preprocess[{i}] must be a mapping with type: Name '
                              f'(got {op!r})')
    return [dict(op) for op in ops]


def _labels(doc: Mapping[str, Any], path: str) -> List[str]:
    labels = doc.get('label_list')
    if not isinstance(labels, list) or not labels or \
            not all(isinstance(n, (str, int)) for n in labels):
        raise DeployError(f'{path}: label_list must be the list of class names; {_REEXPORT}')
    return [str(n) for n in labels]


def load_deploy_config(model_dir: str) -> DeployConfig:
    """Read `<model_dir>/infer_cfg.yml`."""
    if not os.path.isdir(model_dir):
        raise DeployError(f'--model_dir {model_dir}: no such folder ({_REEXPORT})')
    path = os.path.join(model_dir, INFER_CFG)
    doc = _read_yaml(path)
    onnx = doc.get('onnx')
    nms = None
    if onnx is not None:
        if not isinstance(onnx, dict) or not isinstance(onnx.get('nms'), dict):
            raise DeployError(f'{path}: onnx: must hold nms: {{...}}; {_REEXPORT} --onnx')
        nms = NmsParams.from_mapping(onnx['nms'], f'{path}: onnx.nms')
    arch = doc.get('arch') or doc.get('architecture') or '?'
    threshold = doc.get('draw_threshold', 0.5)
    return DeployConfig(model_dir, path, str(arch), _labels(doc, path), _preprocess(doc, path),
                        float(threshold) if isinstance(threshold, (int, float)) else 0.5,
                        nms, doc, _batch_size(doc, path))


def _batch_size(doc: Mapping[str, Any], path: str) -> Optional[int]:
    """`batch_size:` (written when the program takes a fixed number of images), or None."""
    value = doc.get('batch_size')
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DeployError(f'{path}: batch_size must be a whole number of images, 1 or more '
                          f'(got {value!r}); {_REEXPORT}')
    return value


def paddle_program(model_dir: str) -> Optional[Tuple[str, str]]:
    """(program, params) of the Paddle model in `model_dir`, or None when there is none."""
    for name in PADDLE_PROGRAMS:
        program = os.path.join(model_dir, name)
        if os.path.isfile(program):
            params = os.path.join(model_dir, PARAMS_FILE)
            if not os.path.isfile(params):
                raise DeployError(f'{program} has no {PARAMS_FILE} beside it; {_REEXPORT}')
            return program, params
    return None


def pick_runtime(config: DeployConfig, runtime: str = 'auto') -> str:
    """'paddle' or 'onnx' for `--runtime`: auto takes Paddle Inference when the folder has a
    Paddle program, else ONNX Runtime when it has model.onnx."""
    if runtime not in RUNTIMES:
        raise DeployError(f'--runtime {runtime}: choose one of {", ".join(RUNTIMES)}')
    has_paddle = paddle_program(config.model_dir) is not None
    has_onnx = os.path.isfile(os.path.join(config.model_dir, ONNX_FILE))
    if runtime == 'auto':
        runtime = 'paddle' if has_paddle or not has_onnx else 'onnx'
    if runtime == 'paddle' and not has_paddle:
        raise DeployError(f'{config.model_dir} has no Paddle program '
                          f'({" or ".join(PADDLE_PROGRAMS)} + {PARAMS_FILE}); {_REEXPORT}'
                          + (' or run it with --runtime onnx' if has_onnx else ''))
    if runtime == 'onnx':
        if not has_onnx:
            raise DeployError(f'{config.model_dir} has no {ONNX_FILE}; {_REEXPORT} --onnx')
        if config.onnx_nms is None:
            raise DeployError(f'{config.path} has no onnx: section (NMS settings for '
                              f'{ONNX_FILE}); {_REEXPORT} --onnx')
    return runtime
