"""Class-dependent layers in the load plan: decided by class name, summarised from what is done.

For a tensor under a prefix the architecture declares in `class_layouts` (and not excluded by
a user pattern — patterns come first):
- both class lists known and equal (any case, same order) -> loaded as is;
- both known and different -> copied by class name (`transferred`) when `class_aware_transfer`
  is on and a class is shared. Mode `full` needs every value restored (a reordering, or a subset
  of the checkpoint's classes); otherwise the policy refuses and shows both lists. In
  `detection` the classes the checkpoint does not know start fresh;
- a list unknown -> `full` loads by position and warns; `detection` leaves the layer fresh and
  warns with the remedy, because the checkpoint may hold a head trained on these very classes.
The one-line summary and the warnings are computed from the final tensor records, so the header
never claims a copy that did not happen.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from ppdet.checkpoint.class_match import class_pairs, near_matches, same_class_lists
from ppdet.checkpoint.class_names import resolve_source_class_names
from ppdet.checkpoint.head_transfer import infer_source_num_classes, plan_transfer
from ppdet.checkpoint.report import (EXCLUDED, LOADED, MISSING, SHAPE_MISMATCH, TRANSFERRED,
                                     ClassTransfer, TensorRecord, short_shape)
from ppdet.modeling.class_layout import ClassLayout

__all__ = ['ClassContext', 'resolve_classes', 'class_record', 'summarize_classes',
           'BY_POSITION']

BY_POSITION = 'by position: class names unknown'
SAME_CLASSES = 'same classes in the same order'


@dataclass(frozen=True)
class ClassContext:
    """Everything the per-tensor class decisions need, computed once per load."""
    transfer: ClassTransfer
    source_num_classes: Optional[int]
    mode: str

    @property
    def names_known(self) -> bool:
        return self.transfer.source_names is not None and self.transfer.target_names is not None


def _target_num_classes(model: Any, target: Optional[Sequence[str]]) -> Optional[int]:
    if target:
        return len(target)
    for layer in [model] + list(model.sublayers()):
        n = getattr(layer, 'num_classes', None)
        if isinstance(n, int) and not isinstance(n, bool):
            return n  # the first head that declares it (YOLOv3Head, SSDHead, ...)
    return None


def resolve_classes(model: Any, class_dep: Mapping[str, Tuple[str, ClassLayout]],
                    shapes: Mapping[str, Tuple[int, ...]], ckpt: Mapping[str, np.ndarray],
                    pairs: Mapping[str, str], meta: Optional[Dict[str, Any]], label: str,
                    source_names: Optional[Sequence[str]],
                    target_names: Optional[Sequence[str]], class_aware: bool,
                    mode: str) -> ClassContext:
    """Source/target class names, the rule that decided them, and the class pairing."""
    target_c = _target_num_classes(model, target_names)
    inferred = None
    for name, (_, layout) in class_dep.items():
        if name in pairs:
            inferred = infer_source_num_classes(layout, shapes[name], ckpt[pairs[name]].shape,
                                                target_c)
            if inferred is not None:
                break
    stored = (meta or {}).get('class_names')
    names, rule = resolve_source_class_names(source_names, stored, inferred, label)
    target = tuple(target_names) if target_names else None
    if names is None or target is None:
        return ClassContext(ClassTransfer(names, target, rule, class_aware), inferred, mode)
    if same_class_lists(names, target):
        return ClassContext(ClassTransfer(names, target, rule, class_aware, same_classes=True),
                            inferred, mode)
    kept, new = class_pairs(target, names)
    near = tuple(near_matches(new, names))
    return ClassContext(ClassTransfer(names, target, rule, class_aware, tuple(kept), tuple(new),
                                      near=near),
                        len(names) if inferred is None else inferred, mode)


def _no_transfer_why(ctx: ClassContext) -> str:
    c = ctx.transfer
    if not c.enabled:
        return 'class_aware_transfer: false'
    if not c.kept:
        return 'no class in common with the checkpoint'
    if ctx.source_num_classes is None:
        return "the checkpoint's class count does not fit the layer"
    return ''


def class_record(name: str, shape: Tuple[int, ...], src: str, sshape: Tuple[int, ...],
                 layout: ClassLayout, ctx: ClassContext) -> TensorRecord:
    """The fate of one class-dependent tensor that has a checkpoint counterpart."""
    c = ctx.transfer
    base = dict(name=name, shape=shape, source_name=src, source_shape=sshape,
                class_dependent=True)
    mismatch = TensorRecord(status=SHAPE_MISMATCH,
                            reason=f'{short_shape(sshape)} != {short_shape(shape)}', **base)
    if c.same_classes or (not ctx.names_known and ctx.mode == 'full'):
        if sshape != shape:
            return mismatch
        return TensorRecord(status=LOADED, reason=SAME_CLASSES if c.same_classes
                            else BY_POSITION, **base)
    if not ctx.names_known:
        why = ('target class names not given' if c.target_names is None
               else 'checkpoint class names unknown')
        return TensorRecord(status=EXCLUDED, reason=f'class-dependent: {why}', **base)
    plan, why = None, _no_transfer_why(ctx)
    if not why:
        plan, why = plan_transfer(layout, shape, sshape, len(c.target_names or ()),
                                  int(ctx.source_num_classes or 0), c.kept)
    if plan is not None:
        copied = len(plan.dst_idx) * (int(np.prod(shape)) // max(shape[plan.axis], 1))
        return TensorRecord(status=TRANSFERRED, reason=f'{len(c.kept)} classes by name',
                            restored_numel=copied, transfer=plan, **base)
    if ctx.mode == 'full' and sshape != shape:
        return mismatch
    return TensorRecord(status=EXCLUDED, reason=f'class-dependent: {why}', **base)


def _layers(records: Sequence[TensorRecord]) -> str:
    layers = sorted({r.name.rsplit('.', 1)[0] for r in records})
    return ', '.join(layers[:6]) + (f' (+{len(layers) - 6} more)' if len(layers) > 6 else '')


def _note(dep: Sequence[TensorRecord], c: ClassTransfer) -> str:
    """What happened to the class-dependent tensors, in one line, from their records."""
    parts: List[str] = []
    groups: Dict[Tuple[str, str], List[TensorRecord]] = {}
    for r in dep:
        groups.setdefault((r.status, r.reason if r.status != SHAPE_MISMATCH else ''), []
                          ).append(r)
    pattern_texts: List[str] = []
    for (status, reason), recs in groups.items():
        n = len(recs)
        if status == TRANSFERRED:
            parts.append(f'{n} copied by class name ({len(c.kept)} of '
                         f'{len(c.target_names or ())} classes)')
        elif status == LOADED:
            parts.append(f'{n} loaded as is ({reason or "same shape"})')
        elif status == EXCLUDED and reason.startswith('pattern '):
            pattern_texts.append(reason[len('pattern '):])
        elif status == EXCLUDED:
            parts.append(f"{n} start fresh ({reason.replace('class-dependent: ', '')})")
        elif status == SHAPE_MISMATCH:
            parts.append(f'{n} shape mismatch')
        elif status == MISSING:
            parts.append(f'{n} missing from the checkpoint')
    if pattern_texts:
        n = sum(1 for r in dep if r.status == EXCLUDED and r.reason.startswith('pattern '))
        parts.append(f'{n} excluded by your patterns ({", ".join(sorted(set(pattern_texts)))}) '
                     'and start fresh: patterns come first')
    return '; '.join(parts)


def _warnings(dep: Sequence[TensorRecord], ctx: ClassContext) -> List[str]:
    c = ctx.transfer
    out: List[str] = []
    fresh = [r for r in dep if r.status == EXCLUDED and r.source_name is not None
             and not r.reason.startswith('pattern ') and not ctx.names_known]
    if fresh:
        rule = c.source_policy.replace('unknown: ', '', 1).split('; set ')[0]
        why = ('the target class names were not given (target_class_names)'
               if c.target_names is None else f"the checkpoint's class names are unknown "
                                              f'({rule})')
        same = all(r.source_shape == r.shape for r in fresh)
        out.append(f'the checkpoint has trained class-dependent layers ({_layers(fresh)}) but '
                   f'{why}: they are NOT loaded and start fresh, so what they learnt is lost. '
                   "If the checkpoint was trained on this dataset's classes, set "
                   'pretrain_class_names: [its classes, in its order] to copy them by name'
                   + (', or fine_tune_checkpoint_type: full to load them as they are'
                      if same else '') + '.')
    if any(r.status == LOADED and r.reason == BY_POSITION for r in dep):
        out.append(f"the checkpoint's class names are unknown ({c.source_policy}): its "
                   'class-dependent layers are loaded by position, as fine_tune_checkpoint_type: '
                   'full asks. If its classes are in another order, every label is swapped: set '
                   'pretrain_class_names to have them matched by name.')
    patterned = [r for r in dep if r.status == EXCLUDED and r.reason.startswith('pattern ')]
    if patterned and ctx.names_known and c.enabled and (c.kept or c.same_classes):
        out.append(f'{len(patterned)} class-dependent tensors ({_layers(patterned)}) are '
                   'excluded by your patterns and start fresh, although the checkpoint knows '
                   'classes of yours: patterns take precedence over class-aware transfer. Remove '
                   'the pattern to copy them by class.')
    if ctx.names_known and not c.same_classes and dep:
        for target, source in c.near:
            out.append(f"class '{target}' is not among the checkpoint's classes but "
                       f"'{source}' is: if they are the same class, spell it '{source}' in the "
                       f"dataset's label list (or list the checkpoint's classes with your "
                       f"spelling in pretrain_class_names). As it is, '{target}' starts fresh.")
    return out


def summarize_classes(ctx: ClassContext, records: Sequence[TensorRecord],
                      declared: bool) -> Tuple[ClassTransfer, List[str]]:
    """The final `ClassTransfer` (note, tensors copied) and warnings, from the records."""
    dep = [r for r in records if r.class_dependent]
    if not declared:
        note = 'model declares no class-dependent layers'
    else:
        note = _note(dep, ctx.transfer)
    transferred = sum(1 for r in dep if r.status == TRANSFERRED)
    return (replace(ctx.transfer, note=note, tensors_transferred=transferred),
            _warnings(dep, ctx))
