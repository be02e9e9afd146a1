"""Which detectors paddle2onnx can take to ONNX, decided before anything is exported.

Found with paddle2onnx 2.1.0 (the release that installs with paddle 3.3) by converting
one-op programs: it has no converter, in its PIR or its legacy front end, for

- `generate_proposals`: the RPN's proposal step (per image: top-k anchors, decode, clip,
  drop small boxes, NMS), which every R-CNN (Faster R-CNN C4 and FPN) runs between its two
  stages, so the network cannot be cut before it the way NMS is cut from the dense heads;
- `distribute_fpn_proposals`: the FPN R-CNN's assignment of RoIs to pyramid levels.

(Converting a one-op program of either ends in "Due to the unsupported operators, the
conversion is aborted".) So `tools/export_model.py --onnx` refuses such a model in one line
and the Paddle Inference export is the way to deploy it.
"""
from __future__ import annotations

from typing import List, Optional

import paddle.nn as nn

__all__ = ['UNCONVERTIBLE_OPS', 'onnx_blockers', 'onnx_refusal']

UNCONVERTIBLE_OPS = {
    'generate_proposals': "the RPN's proposal op",
    'distribute_fpn_proposals': 'the FPN RoI-to-level op',
}


def onnx_blockers(model: nn.Layer) -> List[str]:
    """The ops of UNCONVERTIBLE_OPS that `model`'s program would hold, found from its parts."""
    from ppdet.modeling.heads.roi_extractor import RoIAlign
    from ppdet.modeling.proposal_generator.rpn_head import RPNHead
    layers = model.sublayers(include_self=True)
    ops = []
    if any(isinstance(layer, RPNHead) for layer in layers):
        ops.append('generate_proposals')
    extractors = [v for layer in layers for v in vars(layer).values() if isinstance(v, RoIAlign)]
    if any(len(r.spatial_scale) > 1 for r in extractors):
        ops.append('distribute_fpn_proposals')
    return ops


def _paddle2onnx_version() -> str:
    try:
        import paddle2onnx
        return str(getattr(paddle2onnx, '__version__', '?'))
    except ImportError:
        return '(not installed)'


def onnx_refusal(model: nn.Layer) -> Optional[str]:
    """One line saying why `--onnx` cannot convert `model`, or None when it can try."""
    ops = onnx_blockers(model)
    if not ops:
        return None
    named = ', '.join(f'{op} ({UNCONVERTIBLE_OPS[op]})' for op in ops)
    return (f'--onnx: {type(model).__name__} cannot be converted to ONNX: paddle2onnx '
            f'{_paddle2onnx_version()} has no converter for {named}; export without --onnx '
            f'and deploy the Paddle model (deploy/python/infer.py runs it with Paddle '
            f'Inference)')
