"""`tools/export_model.py --onnx`: the network and its box decoding as ONNX, NMS left out.

ONNX has no operator with `multiclass_nms3`'s semantics, so, as PaddleDetection does for
ONNX, the graph ends at the decoded boxes [B, M, 4] and class scores [B, C, M] and the runner
applies the NMS (ppdet/deploy/nms.py) with the settings written to infer_cfg.yml (`onnx:`).

How the graph is cut: while tracing, the post-processing's `nms` is swapped for a stand-in
that stops the forward pass with the tensors it was given, so nothing after NMS is traced and
no architecture needs an export switch. Prior boxes, which paddle2onnx 2.1.0 cannot map
(`prior_box`), depend only on the input size: for a fixed-size export they are computed once
and traced as constants (an exported size of -1 is refused for such models).
"""
from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np
import paddle
import paddle.nn as nn

from ppdet.deploy.errors import DeployError, import_optional
from ppdet.deploy.infer_config import ONNX_FILE
from ppdet.deploy.onnx_check import check_onnx_outputs
from ppdet.deploy.onnx_support import onnx_refusal
from ppdet.engine.export import input_specs, save_program

__all__ = ['ONNX_OPSET', 'NmsFreeDetector', 'export_onnx', 'run_onnx', 'onnx_section',
           'convert_in_child', 'add_onnx_section', 'nms_owner', 'nms_settings_of']

ONNX_OPSET = 11


class _NmsReached(Exception):
    def __init__(self, boxes, scores, background_label: int) -> None:
        super().__init__('nms reached')
        self.boxes, self.scores, self.background_label = boxes, scores, background_label


class _StopAtNms:
    """Stands in for the model's NMS while tracing: ends the forward pass with its inputs."""

    def __call__(self, bboxes: Any, scores: Any, background_label: int = -1):
        if isinstance(bboxes, (tuple, list)):
            raise DeployError('ONNX export of a per-class (R-CNN) box layout is not supported '
                              'yet: export without --onnx and run it with Paddle Inference')
        raise _NmsReached(bboxes, scores, int(background_label))


class NmsFreeDetector(nn.Layer):
    """The detector up to NMS: (image, im_shape, scale_factor) -> (boxes, scores)."""

    def __init__(self, model: nn.Layer) -> None:
        super().__init__()
        self.model = model
        self.background_label: Optional[int] = None

    def _post_process(self):
        return nms_owner(self.model)

    @paddle.jit.not_to_static
    def forward(self, image, im_shape, scale_factor) -> Tuple[paddle.Tensor, paddle.Tensor]:
        post = self._post_process()
        original = post.nms
        post.nms = _StopAtNms()
        try:
            self.model({'image': image, 'im_shape': im_shape, 'scale_factor': scale_factor})
        except _NmsReached as stop:
            self.background_label = stop.background_label
            return stop.boxes, stop.scores
        finally:
            post.nms = original
        raise DeployError(f'{type(self.model).__name__} returned without calling its NMS')


# where detectors keep the NMS they finish with: YOLOv3/SSD `post_process`, R-CNN
# `bbox_post_process`, RetinaNet `head`
_NMS_OWNERS = ('post_process', 'bbox_post_process', 'head')


def nms_owner(model: nn.Layer) -> Any:
    """The part of `model` whose `nms` attribute is the NMS its predictions end with."""
    for name in _NMS_OWNERS:
        owner = getattr(model, name, None)
        if owner is not None and getattr(owner, 'nms', None) is not None:
            return owner
    raise DeployError(f'{type(model).__name__} has no NMS to stop at (looked for '
                      f'{", ".join(n + ".nms" for n in _NMS_OWNERS)}); ONNX export needs one')


def _shape_only_generators(model: nn.Layer) -> List[Tuple[Any, str, Any]]:
    """(owner, attribute, generator) of prior-box generators anywhere in `model`."""
    from ppdet.modeling.layers.anchor_generator_ssd import AnchorGeneratorSSD
    found = []
    for layer in model.sublayers(include_self=True):
        for name, value in list(vars(layer).items()):
            if isinstance(value, AnchorGeneratorSSD):
                found.append((layer, name, value))
    return found


class _Recorded:
    def __init__(self, generator: Any) -> None:
        self.generator, self.outputs = generator, None

    def __call__(self, feats, image):
        out = self.generator(feats, image)
        self.outputs = [np.asarray(o.numpy()) for o in out]
        return out


class _Constant:
    def __init__(self, outputs: List[np.ndarray]) -> None:
        self.outputs = outputs

    def __call__(self, feats, image):
        return [paddle.to_tensor(o) for o in self.outputs]


@contextlib.contextmanager
def _constant_priors(wrapped: NmsFreeDetector, inputs: List[np.ndarray],
                     fixed_size: bool) -> Iterator[None]:
    """Within the block, prior-box generators return the constants of this input size."""
    found = _shape_only_generators(wrapped.model)
    if found and not fixed_size:
        raise DeployError('ONNX export needs a fixed input size for prior-box models: set '
                          'the TestReader Resize to keep_ratio: false')
    try:
        recorders = []
        for owner, name, gen in found:
            rec = _Recorded(gen)
            setattr(owner, name, rec)
            recorders.append(rec)
        if found:
            with paddle.no_grad():
                wrapped(*[paddle.to_tensor(a) for a in inputs])
        for (owner, name, _), rec in zip(found, recorders):
            setattr(owner, name, _Constant(rec.outputs))
        yield
    finally:
        for owner, name, gen in found:
            setattr(owner, name, gen)


def nms_settings_of(model: nn.Layer) -> Dict[str, Any]:
    """The NMS `model` finishes with, as infer_cfg.yml's `onnx.nms` (the background label
    that `BBoxPostProcess` passes, `num_classes`, or the NMS's own)."""
    owner = nms_owner(model)
    passed = getattr(owner, 'num_classes', None) if type(owner).__name__ == 'BBoxPostProcess' \
        else None
    return _nms_settings(model, passed)


def _nms_settings(model: nn.Layer, background_label: Optional[int]) -> Dict[str, Any]:
    nms = nms_owner(model).nms
    names = ('score_threshold', 'nms_top_k', 'keep_top_k', 'nms_threshold', 'normalized',
             'nms_eta', 'background_label')
    if not all(hasattr(nms, n) for n in names):
        raise DeployError(f'{type(nms).__name__}: ONNX export supports MultiClassNMS only')
    if not float(nms.nms_eta) >= 1.0:
        raise DeployError(f'MultiClassNMS nms_eta {nms.nms_eta}: adaptive NMS (nms_eta < 1) '
                          f'has no equivalent in the ONNX runner; use nms_eta: 1.0')
    bg = background_label if background_label is not None and background_label > -1 \
        else int(nms.background_label)
    return {'score_threshold': float(nms.score_threshold), 'nms_top_k': int(nms.nms_top_k),
            'keep_top_k': int(nms.keep_top_k), 'nms_threshold': float(nms.nms_threshold),
            'normalized': bool(nms.normalized), 'background_label': int(bg)}


def convert_in_child(program: str, params: str, out: str) -> None:
    """Run ppdet.deploy.onnx_convert in a child process (paddle2onnx may abort its process)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [root] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep) if p]))
    proc = subprocess.run([sys.executable, '-m', 'ppdet.deploy.onnx_convert', program, params,
                           out, str(ONNX_OPSET)], capture_output=True, text=True, env=env)
    if proc.returncode == 0 and os.path.isfile(out):
        return
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    keys = ('Failed to convert', '[ERROR]', 'error:', 'Error')
    reason = next((ln for ln in lines if any(k in ln for k in keys)), None) or \
        (lines[-1] if lines else f'exit status {proc.returncode}')
    raise DeployError(f'paddle2onnx could not convert the model: {reason[:400]} (the Paddle '
                      f'model was exported; run it without --onnx)')


def run_onnx(path: str, inputs: List[np.ndarray]) -> List[np.ndarray]:
    """The ONNX model's outputs for (image, im_shape, scale_factor), on CPU."""
    ort = import_optional('onnxruntime')
    so = ort.SessionOptions()
    so.log_severity_level = 3
    session = ort.InferenceSession(path, so, providers=['CPUExecutionProvider'])
    feeds = dict(zip(('image', 'im_shape', 'scale_factor'), inputs))
    return session.run(None, {i.name: feeds[i.name] for i in session.get_inputs()})


def export_onnx(model: nn.Layer, directory: str, image_shape: Tuple[int, int, int],
                check_inputs: List[np.ndarray]) -> Tuple[Dict[str, Any], float]:
    """Write `<directory>/model.onnx`; return its infer_cfg `onnx:` section and the largest
    difference of its (boxes, scores) from the model's on `check_inputs`."""
    import_optional('paddle2onnx')
    refusal = onnx_refusal(model)
    if refusal:
        raise DeployError(refusal)
    model.eval()
    wrapped = NmsFreeDetector(model)
    wrapped.eval()
    _, h, w = image_shape
    out = os.path.join(directory, ONNX_FILE)
    with tempfile.TemporaryDirectory(prefix='ppdet_onnx_') as tmp:
        with _constant_priors(wrapped, check_inputs, fixed_size=h > 0 and w > 0):
            save_program(wrapped, input_specs(model, h, w), os.path.join(tmp, 'model'))
        program = next(os.path.join(tmp, f) for f in ('model.json', 'model.pdmodel')
                       if os.path.isfile(os.path.join(tmp, f)))
        convert_in_child(program, os.path.join(tmp, 'model.pdiparams'), out)
    section = onnx_section(_nms_settings(model, wrapped.background_label))
    with paddle.no_grad():
        expected = [t.numpy() for t in wrapped(*[paddle.to_tensor(a) for a in check_inputs])]
    try:
        return section, check_onnx_outputs(expected, run_onnx(out, check_inputs), out)
    except DeployError:
        os.remove(out)  # a file that computes something else must not be left to deploy
        raise


def onnx_section(nms: Dict[str, Any]) -> Dict[str, Any]:
    """infer_cfg.yml's `onnx:` entry: what the file computes and the NMS the runner adds."""
    return {'file': ONNX_FILE, 'opset': ONNX_OPSET,
            'outputs': {'boxes': '[N, M, 4] x1, y1, x2, y2 in original-image pixels',
                        'scores': '[N, C, M] per-class scores'},
            'nms': nms}


def add_onnx_section(infer_cfg: str, section: Dict[str, Any]) -> None:
    """Add (or replace) the `onnx:` key of an exported infer_cfg.yml."""
    import yaml
    with open(infer_cfg, encoding='utf-8') as f:
        doc = yaml.safe_load(f) or {}
    doc['onnx'] = section
    with open(infer_cfg, 'w', encoding='utf-8') as f:
        yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True)
