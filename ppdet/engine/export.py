"""Export a trained detector as a static inference model plus the config to feed it.

    <dir>/model.json or model.pdmodel   the program (PIR json on paddle 3.x, pdmodel on 2.x)
    <dir>/model.pdiparams               the weights
    <dir>/infer_cfg.yml                 architecture, class names, preprocessing, metric

Inputs: `image` [N, 3, H, W] (H, W fixed by the TestReader's Resize with keep_ratio: false,
else -1), `im_shape` [N, 2] (resized h, w) and `scale_factor` [N, 2] (resized / original, y
then x); outputs: `bbox` [M, 6] rows (class, score, x1, y1, x2, y2) in original pixels and
`bbox_num` [N]. NMS and box decoding are part of the program.

The model is *traced*, not transcribed: `forward` is marked `not_to_static`, so paddle runs
our Python code once with symbolic tensors and records the operators. Our detectors branch and
loop only on config values (levels, feature maps), which tracing handles completely, and it
spares the model code the limits of paddle's source transcriber (`enumerate(start=)`, `break`).
A branch on a tensor value would fail loudly at export (`bool(Tensor)`), never silently.
"""
from __future__ import annotations

import contextlib
import inspect
import os
import warnings
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import paddle
import paddle.nn as nn
import yaml

from ppdet.core.errors import PPDetError

__all__ = ['ExportError', 'ExportableDetector', 'ExportResult', 'image_size_of',
           'preprocess_ops', 'build_infer_cfg', 'check_export_options', 'export_model',
           'load_exported', 'run_exported', 'compare_outputs', 'INFER_CFG', 'FEEDS',
           'quiet_tracing', 'export_batch_size', 'input_specs', 'save_program']

INFER_CFG = 'infer_cfg.yml'
FEEDS = ('image', 'im_shape', 'scale_factor')
MODEL_NAME = 'model'
_SKIPPED_OPS = ('Decode',)  # deployment code reads and decodes images itself


class ExportError(PPDetError):
    """The model cannot be exported as asked, or the export does not reproduce the model."""


class ExportableDetector(nn.Layer):
    """The detector with positional tensor inputs and outputs, as a static program needs."""

    def __init__(self, model: nn.Layer) -> None:
        super().__init__()
        self.model = model

    @paddle.jit.not_to_static
    def forward(self, image: paddle.Tensor, im_shape: paddle.Tensor,
                scale_factor: paddle.Tensor) -> Tuple[paddle.Tensor, paddle.Tensor]:
        out = self.model({'image': image, 'im_shape': im_shape, 'scale_factor': scale_factor})
        return out['bbox'], out['bbox_num']


def _plain(value: Any) -> Any:
    """Config values (AttrDict, tuples, numpy) as plain YAML types."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def image_size_of(reader: Any) -> Tuple[int, int]:
    """(H, W) every image is resized to, or (-1, -1) when sizes vary."""
    size = (-1, -1)
    for op in list(reader.sample_transforms) + list(reader.batch_transforms):
        name = type(op).__name__
        if name == 'Resize':
            ts = getattr(op, 'target_size', None)
            if getattr(op, 'keep_ratio', True) or ts is None:
                size = (-1, -1)
            else:
                ts = [int(ts), int(ts)] if np.isscalar(ts) else [int(v) for v in ts]
                size = (ts[0], ts[1])
        elif name in ('RandomResize', 'BatchRandomResize', 'PadBatch', 'Pad', 'PadStride'):
            size = (-1, -1)
    return size


def _defaults(op: Any) -> Dict[str, Any]:
    try:
        params = inspect.signature(type(op).__init__).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in params
            if p.name != 'self' and p.default is not inspect.Parameter.empty}


def preprocess_ops(cfg: Mapping[str, Any], reader: Any,
                   reader_name: str = 'TestReader') -> List[Dict[str, Any]]:
    """The reader's transforms as `{type: Name, arg: value, ...}`, arguments as the config
    gives them over the constructor defaults (Decode left out)."""
    section = cfg.get(reader_name) or {}
    out = []
    for key, ops in (('sample_transforms', reader.sample_transforms),
                     ('batch_transforms', reader.batch_transforms)):
        written = list(section.get(key) or [])
        for i, op in enumerate(ops):
            name = type(op).__name__
            if name in _SKIPPED_OPS:
                continue
            args = _defaults(op)
            if i < len(written) and isinstance(written[i], Mapping) and name in written[i]:
                args.update(dict(written[i][name] or {}))
            out.append({'type': name, **_plain(args)})
    return out


def check_export_options(cfg: Mapping[str, Any], log: Any = print) -> None:
    """The `export:` section of runtime.yml: what we do is always post-processing + NMS."""
    opts = cfg.get('export') or {}
    if opts.get('post_process', True) is False or opts.get('nms', True) is False \
            or opts.get('benchmark', False):
        raise ExportError('export: post_process: false / nms: false / benchmark: true are not '
                          'supported: the exported program always decodes boxes and runs NMS; '
                          'set them to post_process: true, nms: true, benchmark: false')
    if opts.get('fuse_conv_bn'):
        log('note: export.fuse_conv_bn: true is not applied; BatchNorm layers are exported '
            'as they are (same results, slightly slower)')


def build_infer_cfg(cfg: Mapping[str, Any], reader: Any, class_names: Sequence[str],
                    image_shape: Sequence[int], weights: str = '',
                    batch_size: Optional[int] = None,
                    feeds: Sequence[str] = FEEDS) -> Dict[str, Any]:
    """infer_cfg.yml: PaddleDetection's deploy keys (mode, arch, Preprocess, label_list, ...)
    plus ours (architecture, num_classes, inputs, weights, and `batch_size` when the program
    takes a fixed number of images per call: the runner then feeds them that many at once)."""
    dynamic = any(int(d) < 0 for d in image_shape[1:])
    batch = -1 if batch_size is None else int(batch_size)
    shapes = {'image': [batch] + [int(d) for d in image_shape], 'im_shape': [batch, 2],
              'scale_factor': [batch, 2]}
    info = {
        'mode': 'paddle', 'draw_threshold': 0.5, 'metric': cfg.get('metric'),
        'use_dynamic_shape': dynamic, 'arch': cfg.get('architecture'),
        'architecture': cfg.get('architecture'), 'min_subgraph_size': 3,
        'num_classes': len(class_names),
        'Preprocess': preprocess_ops(cfg, reader),
        'label_list': list(class_names),
        'inputs': {n: shapes[n] for n in feeds},
        'outputs': {'bbox': 'rows (class, score, x1, y1, x2, y2) in original-image pixels',
                    'bbox_num': 'rows per image'},
        'weights': weights,
    }
    if batch_size is not None:
        info['batch_size'] = batch
    return info


@contextlib.contextmanager
def quiet_tracing():
    """Silence Paddle's per-call note that `relu_()` is not in place in a static graph: the
    models use in-place activations for speed in eager mode, and tracing them is correct."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message=r'In static graph mode, .*\(\) is the same as')
        yield


@dataclass(frozen=True)
class ExportResult:
    directory: str
    files: List[str]
    infer_cfg: str
    image_shape: Tuple[int, int, int]
    feeds: List[str]
    batch_size: Optional[int] = None  # images per call when the program fixes it


def export_batch_size(model: nn.Layer) -> Optional[int]:
    """Images per call of the exported program: None (any) unless the architecture fixes it
    (`export_batch_size = 1` for the R-CNN and RetinaNet families, whose per-image steps are
    traced once for one image)."""
    size = getattr(model, 'export_batch_size', None)
    return None if size is None else int(size)


def input_specs(model: nn.Layer, height: int, width: int) -> List[paddle.static.InputSpec]:
    """The program's inputs (FEEDS); -1 sizes are left open."""
    batch = export_batch_size(model)
    dim = lambda d: None if d < 0 else int(d)  # noqa: E731
    return [paddle.static.InputSpec([batch, 3, dim(height), dim(width)], 'float32', 'image'),
            paddle.static.InputSpec([batch, 2], 'float32', 'im_shape'),
            paddle.static.InputSpec([batch, 2], 'float32', 'scale_factor')]


def _unused_feed(error: ValueError) -> bool:
    return 'not involved in the target_vars' in str(error)


def save_program(layer: nn.Layer, specs: Sequence[Any], path: str) -> List[str]:
    """Trace `layer` and save it at `path`; returns the names of the inputs the program reads.

    Paddle refuses to save a program with an input no output depends on (RetinaNet never
    reads `im_shape`): such an input is left out of the program, and the runners feed
    inputs by name, so they give it only what it reads."""
    with quiet_tracing():
        static = paddle.jit.to_static(layer, input_spec=list(specs), full_graph=True)
        try:
            paddle.jit.save(static, path)
            return [s.name for s in specs]
        except ValueError as e:
            if not _unused_feed(e):
                raise
        for unused in specs[1:]:
            kept = [s for s in specs if s is not unused]
            try:
                paddle.jit.save(static, path, input_spec=kept)
                return [s.name for s in kept]
            except ValueError as e:
                if not _unused_feed(e):
                    raise
    raise ExportError(f'{type(layer).__name__}: the traced program ignores more than one of '
                      f'its inputs {", ".join(s.name for s in specs)}; it cannot be a detector')


def export_model(model: nn.Layer, cfg: Mapping[str, Any], reader: Any,
                 class_names: Sequence[str], directory: str, weights: str = '') -> ExportResult:
    """Trace `model` into `directory` with paddle.jit.save and write infer_cfg.yml."""
    h, w = image_size_of(reader)
    model.eval()
    wrapped = ExportableDetector(model)
    wrapped.eval()
    os.makedirs(directory, exist_ok=True)
    feeds = save_program(wrapped, input_specs(model, h, w), os.path.join(directory, MODEL_NAME))
    shape = (3, h, w)
    info = build_infer_cfg(cfg, reader, class_names, shape, weights,
                           export_batch_size(model), feeds)
    cfg_path = os.path.join(directory, INFER_CFG)
    with open(cfg_path, 'w', encoding='utf-8') as f:
        yaml.safe_dump(info, f, sort_keys=False, allow_unicode=True)
    files = sorted(os.path.join(directory, f) for f in os.listdir(directory)
                   if f.startswith(MODEL_NAME + '.') or f == INFER_CFG)
    return ExportResult(directory, files, cfg_path, shape, feeds, export_batch_size(model))


def load_exported(directory: str) -> Any:
    """The exported program as a callable layer (paddle.jit.load)."""
    layer = paddle.jit.load(os.path.join(directory, MODEL_NAME))
    layer.eval()
    return layer


def run_exported(layer: Any, image: np.ndarray, im_shape: np.ndarray,
                 scale_factor: np.ndarray, feeds: Sequence[str] = FEEDS
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Call a detector with the positional inputs named in `feeds` (those an exported program
    reads); (bbox [M, 6], bbox_num [N]) as numpy."""
    given = dict(zip(FEEDS, (image, im_shape, scale_factor)))
    with paddle.no_grad():
        bbox, num = layer(*[paddle.to_tensor(given[n], 'float32') for n in feeds])
    return np.asarray(bbox.numpy()).reshape(-1, 6), np.asarray(num.numpy()).reshape(-1)


def compare_outputs(expected: Tuple[np.ndarray, np.ndarray], got: Tuple[np.ndarray, np.ndarray],
                    rtol: float = 1e-4, atol: float = 1e-3) -> float:
    """Max |difference| of the boxes; ExportError when counts differ or values do not match."""
    (eb, en), (gb, gn) = expected, got
    if not np.array_equal(en, gn) or eb.shape != gb.shape:
        raise ExportError(f'the exported model finds {gn.tolist()} boxes per image where the '
                          f'model finds {en.tolist()}')
    diff = float(np.max(np.abs(eb - gb))) if eb.size else 0.0
    if not np.allclose(eb, gb, rtol=rtol, atol=atol):
        raise ExportError(f'the exported model\'s boxes differ from the model\'s by up to '
                          f'{diff:.4g}')
    return diff
