"""`freeze_params`: parameters that do not train, and BatchNorm layers that stop adapting.

Freezing a parameter sets `stop_gradient=True`: it gets no gradient, so no optimizer (nor its
weight decay) changes it; `trainable_parameters` gives the list to build the optimizer from.
A frozen BatchNorm layer (any of its tensors matched) must also stop updating its running
mean/variance — other frameworks forget this, and "frozen" statistics drift during training.
A forward pre-hook puts such a layer in eval mode on every call, so `model.train()` cannot
switch it back.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

import paddle

from ppdet.checkpoint.patterns import compile_for_model, match_all, summarize_patterns
from ppdet.checkpoint.report import FreezeReport

__all__ = ['apply_freeze', 'trainable_parameters', 'is_norm_layer', 'FREEZE_HOOK']

FREEZE_HOOK = '_ppdet_freeze_hook'  # attribute holding the keep-eval hook of a frozen norm


def is_norm_layer(layer: Any) -> bool:
    """Batch-norm layers of any Paddle flavour (BatchNorm, BatchNorm1D/2D/3D, SyncBatchNorm)."""
    base = getattr(paddle.nn.layer.norm, '_BatchNormBase', None)
    kinds = tuple(k for k in (base, paddle.nn.BatchNorm, getattr(paddle.nn, 'SyncBatchNorm', None))
                  if k is not None)
    return isinstance(layer, kinds)


def _keep_eval(layer: Any, inputs: Any) -> None:
    layer.training = False
    return None


def _numel(shape: Sequence[int]) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def apply_freeze(model: paddle.nn.Layer, patterns: Optional[Sequence[str]]) -> FreezeReport:
    """Freeze every state-dict tensor matching `patterns` (same syntax as exclude patterns)."""
    sd = model.state_dict()
    names = list(sd.keys())
    compiled = compile_for_model(patterns, 'freeze_params', names)
    first, hits = match_all(compiled, names)
    frozen = set(first)
    for n in frozen:
        sd[n].stop_gradient = True
    norm_layers: List[str] = []
    for lname, layer in model.named_sublayers():
        if not is_norm_layer(layer):
            continue
        own = [f'{lname}.{p}' for p in ('weight', 'bias', '_mean', '_variance')]
        if any(n in frozen for n in own):
            norm_layers.append(lname)
            for n in own:  # the whole layer is frozen: statistics too
                if n in sd:
                    sd[n].stop_gradient = True
                    frozen.add(n)
            if getattr(layer, FREEZE_HOOK, None) is None:
                setattr(layer, FREEZE_HOOK, layer.register_forward_pre_hook(_keep_eval))
            layer.eval()
    reports, warnings = summarize_patterns(compiled, hits, names, 'freeze_params', 'freeze')
    frozen_list = tuple(n for n in names if n in frozen)
    trainable = tuple(n for n in names if n not in frozen and not sd[n].stop_gradient)
    return FreezeReport(frozen_list, trainable,
                        sum(_numel(sd[n].shape) for n in frozen_list),
                        sum(_numel(sd[n].shape) for n in trainable),
                        tuple(norm_layers), tuple(reports), tuple(warnings))


def trainable_parameters(model: paddle.nn.Layer) -> List[Any]:
    """Parameters the optimizer should own: frozen ones are left out entirely."""
    return [p for p in model.parameters() if not p.stop_gradient]
