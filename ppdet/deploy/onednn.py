"""When Paddle Inference may use oneDNN on CPU, and why it sometimes may not.

Found on paddlepaddle 3.3.1 (CPU), by exporting one-op programs and bisecting our models:

1. `leaky_relu` after a convolution: `Config.enable_mkldnn()` ends in a segmentation fault
   while the predictor is created. Since Paddle 3 the op's `negative_slope` is a *double*
   attribute (the saved PIR program says `0.a_f64`); the oneDNN pass
   `conv_activation_mkldnn_fuse_pass` builds a fused conv reading it as a *float* attribute,
   and dereferences a null attribute (SIGSEGV in `pir::FloatAttribute::data()`). A one-conv
   program `conv2d -> leaky_relu` reproduces it; relu, relu6, elu, swish do not. The pass
   cannot be removed through `Config.delete_pass` under PIR, and `switch_ir_optim(False)` still
   runs it. The op comes from Paddle's own `F.leaky_relu`, not from anything of ours: YOLOv3's
   DarkNet/FPN blocks use leaky ReLU (slope 0.1).
2. Any `*_interp` op (`F.interpolate`, nearest or bilinear, by scale or by size): with oneDNN
   the first run raises "ConvertPirAttribute2RuntimeAttribute not support
   ArrayAttribute<DoubleAttribute>" (the op's `scale` attribute is a double array). YOLOv3's
   FPN upsamples with it.

3. Zero-size tensors: oneDNN's reshape and elementwise kernels raise (`std::exception`) on
   a tensor with no rows, e.g. the NMS output of an image without detections. Our programs
   touch such a tensor only through concat/gather (`ppdet.modeling.post_process.
   with_placeholder_rows`), which oneDNN runs, so Faster R-CNN C4 keeps oneDNN; a test runs
   a no-detection program under it (tests/deploy/test_traced_postprocess.py).

Without oneDNN, Paddle's plain CPU kernels run these programs correctly (slowly: a 3-class
YOLOv3-MobileNetV1 at 320 px takes well over a second on one thread here). So the runner turns
oneDNN off for a program holding either op, says so once, and uses it elsewhere (SSD runs
about 4x faster with it). Legacy `.pdmodel` programs (paddle 2.x) store float attributes and
are not affected.
"""
from __future__ import annotations

import json
import os
from typing import List

__all__ = ['onednn_blockers']


def _ops_with_attrs(node, found: dict) -> None:
    """Collect {op name: [attribute type tags of the op]} from a PIR json program."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get('#')
            if isinstance(name, str) and name.startswith('1.') and isinstance(item.get('A'),
                                                                               list):
                tags = found.setdefault(name[2:], set())
                for attr in item['A']:
                    if isinstance(attr, dict) and attr.get('N') == 'negative_slope':
                        tags.add(str((attr.get('AT') or {}).get('#')))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def onednn_blockers(program: str) -> List[str]:
    """Reasons (one line each) why oneDNN must stay off for this saved program; [] if none."""
    if not program.endswith('.json') or not os.path.isfile(program):
        return []
    with open(program, encoding='utf-8') as f:
        doc = json.load(f)
    ops: dict = {}
    _ops_with_attrs(doc, ops)
    reasons = []
    for name in ('leaky_relu', 'leaky_relu_'):
        if '0.a_f64' in ops.get(name, ()):
            reasons.append('leaky_relu with a double negative_slope (Paddle 3 oneDNN '
                           'conv_activation fuse pass reads it as float and crashes)')
            break
    interps = sorted(n for n in ops if n.endswith('_interp') or n.endswith('_interp_'))
    if interps:
        reasons.append(f'{interps[0]} (Paddle 3 oneDNN cannot read its double-array scale '
                       f'attribute)')
    return reasons
