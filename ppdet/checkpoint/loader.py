"""`load_pretrain_weights`: load what the user meant, and say exactly what happened.

Order of decisions for each model tensor (first that applies wins):
1. mode `classification` and not under `backbone.` -> excluded (mode);
2. no checkpoint tensor for it -> missing;
3. a user exclude pattern matches -> excluded (pattern P);
4. class-dependent (declared in the architecture's `class_layouts`) and the classes differ,
   mode not `full` -> transferred by class when names overlap and `class_aware`, else excluded
   by the class_layouts default;
5. shapes differ -> skipped as shape A != B (an error in mode `full`);
6. loaded.
Then the policy decides whether the result is acceptable *before* the model is touched, so a
refused load leaves the model as it was.
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ppdet.checkpoint.class_layout import ClassLayout
from ppdet.checkpoint.class_names import resolve_source_class_names
from ppdet.checkpoint.head_transfer import (TransferPlan, apply_transfer, class_dependent_names,
                                            class_pairs, infer_source_num_classes,
                                            plan_transfer)
from ppdet.checkpoint.matching import match_names
from ppdet.checkpoint.metadata import read_metadata
from ppdet.checkpoint.patterns import compile_patterns, match_all, summarize_patterns
from ppdet.checkpoint.policy import check_policy
from ppdet.checkpoint.report import (EXCLUDED, LOADED, MISSING, SHAPE_MISMATCH, TRANSFERRED,
                                     ClassTransfer, LoadPolicy, LoadReport, PatternReport,
                                     TensorRecord, short_shape)
from ppdet.checkpoint.safe_pickle import PADDLE_BOOKKEEPING_KEYS, safe_load
from ppdet.checkpoint.sources import resolve_weights_path
from ppdet.checkpoint.state import set_tensor
from ppdet.core.errors import WeightsError

__all__ = ['load_pretrain_weights', 'MODES', 'read_checkpoint_arrays']

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


def _target_num_classes(model: Any, target: Optional[Sequence[str]]) -> Optional[int]:
    if target:
        return len(target)
    for layer in [model] + list(model.sublayers()):
        n = getattr(layer, 'num_classes', None)
        if isinstance(n, int) and not isinstance(n, bool):
            return n  # the first head that declares it (YOLOv3Head, SSDHead, ...)
    return None


def _resolve_classes(model: Any, layouts: Mapping[str, ClassLayout],
                     class_dep: Dict[str, Tuple[str, ClassLayout]],
                     model_shapes: Dict[str, Tuple[int, ...]], ckpt: Dict[str, np.ndarray],
                     pairs: Dict[str, str], meta: Optional[Dict[str, Any]], label: str,
                     source_names: Optional[Sequence[str]],
                     target_names: Optional[Sequence[str]], class_aware: bool
                     ) -> Tuple[ClassTransfer, Optional[int]]:
    target_c = _target_num_classes(model, target_names)
    inferred = None
    for name, (_, layout) in class_dep.items():
        if name in pairs:
            inferred = infer_source_num_classes(layout, model_shapes[name],
                                                ckpt[pairs[name]].shape, target_c)
            if inferred is not None:
                break
    stored = (meta or {}).get('class_names')
    names, rule = resolve_source_class_names(source_names, stored, inferred, label)
    target = tuple(target_names) if target_names else None
    if not class_dep:
        return ClassTransfer(names, target, rule, class_aware,
                             note='model declares no class-dependent layers'), inferred
    if names is not None and target is not None:
        if names == target:
            return ClassTransfer(names, target, rule, class_aware, same_classes=True,
                                 note='same classes in the same order: head loaded as is'), inferred
        kept, new = class_pairs(target, names)
        note = ('class-aware transfer off (class_aware_transfer: false)' if not class_aware
                else f'{len(kept)} of {len(target)} target classes copied from the checkpoint')
        return ClassTransfer(names, target, rule, class_aware, tuple(kept), tuple(new),
                             note=note), (len(names) if inferred is None else inferred)
    why = 'target class names not given' if target is None else 'source class names unknown'
    return ClassTransfer(names, target, rule, class_aware,
                         note=f'{why}: class-dependent layers are not restored'), inferred


def load_pretrain_weights(model: Any, source: Source, *, exclude: Optional[Sequence[str]] = None,
                          mode: str = 'detection', class_aware: bool = True,
                          target_class_names: Optional[Sequence[str]] = None,
                          source_class_names: Optional[Sequence[str]] = None,
                          policy: Optional[LoadPolicy] = LoadPolicy(),
                          apply: bool = True) -> LoadReport:
    """Load pretrained weights into `model` (a paddle Layer) and return a `LoadReport`.

    `source`: a .pdparams path, a path without suffix, an http(s) URL, or a state dict.
    `exclude`: `finetune_exclude_pretrained_params` patterns (see `patterns`).
    `mode`: `fine_tune_checkpoint_type` — classification | detection | full.
    `policy`: when to refuse (`LoadPolicy`); None accepts anything. `apply=False` only plans.
    Raises `WeightsError` (with `.report` attached) when the policy refuses.
    """
    t0 = time.perf_counter()
    if mode not in MODES:
        raise WeightsError(f'fine_tune_checkpoint_type: {mode!r} is not one of '
                           f'{", ".join(MODES)}')
    ckpt, label, meta, warnings = read_checkpoint_arrays(source)
    model_sd = model.state_dict()
    names = list(model_sd.keys())
    shapes = {n: tuple(int(d) for d in t.shape) for n, t in model_sd.items()}
    bb = (policy.backbone_prefix if policy else 'backbone') + '.'
    in_scope = [n for n in names if n.startswith(bb)] if mode == 'classification' else names
    nm = match_names(in_scope, list(ckpt.keys()), label)
    pairs = nm.pairs

    layouts: Mapping[str, ClassLayout] = getattr(model, 'class_layouts', None) or {}
    class_dep = class_dependent_names(names, layouts)
    classes, src_c = _resolve_classes(model, layouts, class_dep, shapes, ckpt, pairs, meta, label,
                                      source_class_names, target_class_names, class_aware)
    transfer_ok = (mode != 'full' and class_aware and not classes.same_classes
                   and bool(classes.kept) and src_c is not None)

    user = compile_patterns(exclude, 'user')
    first_user, user_hits = match_all(user, names)
    records: List[TensorRecord] = []
    to_load: Dict[str, str] = {}
    transfers: Dict[str, Tuple[str, TransferPlan]] = {}
    for n in names:
        shape, src = shapes[n], pairs.get(n)
        if mode == 'classification' and not n.startswith(bb):
            records.append(TensorRecord(n, EXCLUDED, shape, reason='mode classification'))
            continue
        if src is None:
            records.append(TensorRecord(n, MISSING, shape))
            continue
        sshape = tuple(int(d) for d in ckpt[src].shape)
        if n in first_user:
            records.append(TensorRecord(n, EXCLUDED, shape, src, sshape,
                                        f"pattern '{first_user[n].text}'"))
            continue
        if n in class_dep and mode != 'full' and not classes.same_classes:
            prefix, layout = class_dep[n]
            plan, why = (None, classes.note)
            if transfer_ok:
                plan, why = plan_transfer(layout, shape, sshape, len(classes.target_names or ()),
                                          src_c, classes.kept)
            if plan is not None:
                transfers[n] = (src, plan)
                copied = len(plan.dst_idx) * (int(np.prod(shape)) // max(shape[plan.axis], 1))
                records.append(TensorRecord(n, TRANSFERRED, shape, src, sshape,
                                            f'{len(classes.kept)} classes by name', copied))
            else:
                records.append(TensorRecord(n, EXCLUDED, shape, src, sshape,
                                            f'class-dependent (class_layouts): {why}'))
            continue
        if sshape != shape:
            records.append(TensorRecord(n, SHAPE_MISMATCH, shape, src, sshape,
                                        f'{short_shape(sshape)} != {short_shape(shape)}'))
            continue
        records.append(TensorRecord(n, LOADED, shape, src, sshape))
        to_load[n] = src

    user_reports, unmatched = summarize_patterns(user, user_hits, names, 'user', 'exclude')
    warnings.extend(unmatched)
    pattern_reports = list(user_reports)
    for prefix in layouts:
        hit = tuple(n for n in names if class_dep.get(n, ('',))[0] == prefix)
        pattern_reports.append(PatternReport(prefix, 'name', 'class_layouts', hit))
    used = set(pairs.values())
    unused = tuple((k, tuple(int(d) for d in v.shape)) for k, v in ckpt.items() if k not in used)
    report = LoadReport(label, mode, nm.strategy, tuple(records), unused,
                        tuple(pattern_reports), classes, tuple(warnings),
                        time.perf_counter() - t0, applied=False)
    if policy is not None:
        check_policy(report, policy)
    if apply:
        _apply(model_sd, ckpt, to_load, transfers)
        report = LoadReport(label, mode, nm.strategy, tuple(records), unused,
                            tuple(pattern_reports), classes, tuple(warnings),
                            time.perf_counter() - t0, applied=True)
    return report


def _apply(model_sd: Mapping[str, Any], ckpt: Dict[str, np.ndarray], to_load: Dict[str, str],
           transfers: Dict[str, Tuple[str, TransferPlan]]) -> None:
    """Write values straight into the model tensors (one `set_value` per tensor, no copies of
    the state dict)."""
    for n, src in to_load.items():
        set_tensor(model_sd[n], ckpt[src])
    for n, (src, plan) in transfers.items():
        t = model_sd[n]
        t.set_value(apply_transfer(t.numpy(), ckpt[src], plan))
