"""`load_pretrain_weights`: load what the user meant, and say exactly what happened.

Three steps, in this order: `plan_load` decides the fate of every model tensor once (the
precedence is in `plan.py`, the class rules in `class_plan.py`) and returns it as a `LoadReport`;
the policy accepts or refuses that plan *before* the model is touched, so a refused load leaves
the model as it was; `apply_plan` then carries out exactly the records of the plan — the same
records the report renders. A dry run (`apply=False`) stops after the policy.
"""
from __future__ import annotations

import time
from dataclasses import replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ppdet.checkpoint.class_plan import resolve_classes, summarize_classes
from ppdet.checkpoint.head_transfer import apply_transfer, class_dependent_names
from ppdet.checkpoint.matching import match_names
from ppdet.checkpoint.metadata import read_metadata
from ppdet.checkpoint.patterns import compile_for_model, match_all, summarize_patterns
from ppdet.checkpoint.plan import plan_records
from ppdet.checkpoint.policy import check_policy
from ppdet.checkpoint.report import (LOADED, TRANSFERRED, LoadPolicy, LoadReport, PatternReport,
                                     TensorRecord)
from ppdet.checkpoint.safe_pickle import PADDLE_BOOKKEEPING_KEYS, safe_load
from ppdet.checkpoint.sources import resolve_weights_path
from ppdet.checkpoint.state import set_tensor
from ppdet.core.errors import WeightsError
from ppdet.modeling.class_layout import ClassLayout

__all__ = ['load_pretrain_weights', 'plan_load', 'apply_plan', 'MODES', 'read_checkpoint_arrays']

MODES = ('classification', 'detection', 'full')
Source = Union[str, Mapping[str, Any]]


def read_checkpoint_arrays(source: Source) -> Tuple[Dict[str, np.ndarray], str,
                                                    Optional[Dict[str, Any]], List[str]]:
    """(name -> array, label for messages, metadata or None, warnings) for a path/URL/dict."""
    warnings: List[str] = []
    if isinstance(source, Mapping):
        raw, label, meta = dict(source), '<state dict>', None
    else:
        label = resolve_weights_path(source)
        raw, meta = safe_load(label), read_metadata(label)
        if not isinstance(raw, dict):
            raise WeightsError(f'{label}: holds a {type(raw).__name__}, not a state dict of '
                               'named tensors')
    for key in ('model', 'state_dict', 'net'):  # {'model': state_dict, 'epoch': ...} files
        if not any(isinstance(v, np.ndarray) for v in raw.values()) and \
                isinstance(raw.get(key), dict):
            warnings.append(f"weights taken from the '{key}' entry of the file")
            raw = raw[key]
            break
    arrays: Dict[str, np.ndarray] = {}
    skipped = []
    for k, v in raw.items():
        if isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], np.ndarray):
            v = v[1]  # Paddle writes tensors of nested structures as (name, array)
        if k in PADDLE_BOOKKEEPING_KEYS:
            continue
        if isinstance(v, np.ndarray):
            arrays[k] = v
        elif hasattr(v, 'numpy') and hasattr(v, 'shape'):
            arrays[k] = v.numpy()
        else:
            skipped.append(str(k))
    if skipped:
        warnings.append(f'ignored {len(skipped)} non-tensor entries: {", ".join(skipped[:5])}')
    return arrays, label, meta, warnings


def plan_load(model: Any, ckpt: Mapping[str, np.ndarray], label: str,
              meta: Optional[Dict[str, Any]], *, exclude: Optional[Sequence[str]] = None,
              mode: str = 'detection', class_aware: bool = True,
              target_class_names: Optional[Sequence[str]] = None,
              source_class_names: Optional[Sequence[str]] = None,
              backbone: str = 'backbone', warnings: Sequence[str] = ()) -> LoadReport:
    """The plan for loading `ckpt` into `model`: one record per model tensor (not applied)."""
    model_sd = model.state_dict()
    names = list(model_sd.keys())
    shapes = {n: tuple(int(d) for d in t.shape) for n, t in model_sd.items()}
    in_scope = ([n for n in names if n.startswith(backbone + '.')] if mode == 'classification'
                else names)
    nm = match_names(in_scope, list(ckpt.keys()), label)
    layouts: Mapping[str, ClassLayout] = getattr(model, 'class_layouts', None) or {}
    class_dep = class_dependent_names(names, layouts)
    ctx = resolve_classes(model, class_dep, shapes, ckpt, nm.pairs, meta, label,
                          source_class_names, target_class_names, class_aware, mode)
    user = compile_for_model(exclude, 'user', names)
    first_user, user_hits = match_all(user, names)
    records = plan_records(names, shapes, nm.pairs, ckpt, mode, backbone, first_user,
                           class_dep, ctx)
    classes, class_warnings = summarize_classes(ctx, records, bool(class_dep))
    user_reports, unmatched = summarize_patterns(user, user_hits, names, 'user', 'exclude')
    pattern_reports = list(user_reports)
    for prefix in layouts:
        hit = tuple(n for n in names if class_dep.get(n, ('',))[0] == prefix)
        pattern_reports.append(PatternReport(prefix, 'name', 'class_layouts', hit))
    used = set(nm.pairs.values())
    unused = tuple((k, tuple(int(d) for d in v.shape)) for k, v in ckpt.items() if k not in used)
    return LoadReport(label, mode, nm.strategy, tuple(records), unused, tuple(pattern_reports),
                      classes, tuple(warnings) + tuple(unmatched) + tuple(class_warnings),
                      applied=False)


def apply_plan(model: Any, ckpt: Mapping[str, np.ndarray],
               records: Sequence[TensorRecord]) -> None:
    """Carry out a plan: each `loaded` record copies the checkpoint tensor it names, each
    `transferred` record copies the channels its map names; nothing else is written (one
    `set_value` per tensor, no copy of the state dict)."""
    model_sd = model.state_dict()
    for r in records:
        if r.status == LOADED:
            set_tensor(model_sd[r.name], ckpt[r.source_name])
        elif r.status == TRANSFERRED:
            t = model_sd[r.name]
            t.set_value(apply_transfer(t.numpy(), ckpt[r.source_name], r.transfer))


def load_pretrain_weights(model: Any, source: Source, *, exclude: Optional[Sequence[str]] = None,
                          mode: str = 'detection', class_aware: bool = True,
                          target_class_names: Optional[Sequence[str]] = None,
                          source_class_names: Optional[Sequence[str]] = None,
                          policy: Optional[LoadPolicy] = LoadPolicy(),
                          apply: bool = True) -> LoadReport:
    """Load pretrained weights into `model` (a paddle Layer) and return the `LoadReport`.

    `source`: a .pdparams path, a path without suffix, an http(s) URL, or a state dict.
    `exclude`: `finetune_exclude_pretrained_params` patterns (see `patterns`).
    `mode`: `fine_tune_checkpoint_type` — classification | detection | full.
    `policy`: when to refuse (`LoadPolicy`); None accepts anything. `apply=False` only plans
    (and still refuses where the real load would).
    Raises `WeightsError` (with `.report` attached) when the policy refuses.
    """
    t0 = time.perf_counter()
    if mode not in MODES:
        raise WeightsError(f'fine_tune_checkpoint_type: {mode!r} is not one of '
                           f'{", ".join(MODES)}')
    ckpt, label, meta, warnings = read_checkpoint_arrays(source)
    report = plan_load(model, ckpt, label, meta, exclude=exclude, mode=mode,
                       class_aware=class_aware, target_class_names=target_class_names,
                       source_class_names=source_class_names,
                       backbone=policy.backbone_prefix if policy else 'backbone',
                       warnings=warnings)
    if policy is not None:
        check_policy(replace(report, seconds=time.perf_counter() - t0), policy)
    if apply:
        apply_plan(model, ckpt, report.records)
    return replace(report, applied=apply, seconds=time.perf_counter() - t0)
