"""Frozen parameters that no weights restored: they keep their initial values for the whole run.

The common way to get there is training from scratch (or with the backbone excluded from
`pretrain_weights`) with a config written for fine-tuning: ResNet's `freeze_norm: true` leaves
every BatchNorm at scale 1, shift 0, mean 0, variance 1, and `freeze_at` keeps the stem's random
filters. Nothing fails; the model just learns much worse. PaddleDetection says nothing; here the
finding is computed once as data, after loading and freezing, and rendered from it.
"""
from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import dataclass
from typing import Any, Optional, Tuple

from ppdet.checkpoint.freeze import FREEZE_HOOK, is_norm_layer

__all__ = ['FrozenStart', 'find_frozen_start', 'render_frozen_start']

_FREEZE_ARGS = (('freeze_norm', 'false'), ('freeze_at', '-1'))


@dataclass(frozen=True)
class FrozenStart:
    """Parameters frozen before training and restored from no checkpoint."""
    names: Tuple[str, ...]
    per_module: Tuple[Tuple[str, int], ...]   # (top-level module, how many), largest first
    # `-o` items that unfreeze them at the source: (top-level module's class).(constructor arg)
    remedies: Tuple[str, ...]
    loaded_from: Optional[str]                # the pretrain_weights source, None when none

    def __bool__(self) -> bool:
        return bool(self.names)


def _moving_statistics(model: Any) -> set:
    """Running mean/variance of norm layers that still update them in training: Paddle holds
    them as parameters without gradient, but they are not frozen."""
    names = set()
    for lname, layer in model.named_sublayers():
        pinned = getattr(layer, '_use_global_stats', None) or getattr(layer, FREEZE_HOOK, None)
        if is_norm_layer(layer) and not pinned:
            names |= {f'{lname}._mean', f'{lname}._variance'}
    return names


def _restored_names(report: Any) -> set:
    if report is None:
        return set()
    return {r.name for r in report.records if r.fully_restored}


def _remedies(model: Any, modules: Tuple[str, ...]) -> Tuple[str, ...]:
    """`Class.arg=value` for the freezing arguments the owning modules' constructors take."""
    items = []
    for module in modules:
        owner = getattr(model, module, None)
        if owner is None:
            continue
        params = inspect.signature(type(owner).__init__).parameters
        cls = type(owner).__name__
        items += [f'{cls}.{arg}={off}' for arg, off in _FREEZE_ARGS if arg in params]
    return tuple(items)


def find_frozen_start(model: Any, report: Any = None) -> FrozenStart:
    """Frozen parameters (no gradient) of `model` that `report` (a LoadReport, or None when
    no pretrained weights were loaded) did not restore in full."""
    skip = _restored_names(report) | _moving_statistics(model)
    names = tuple(name for name, p in model.named_parameters()
                  if p.stop_gradient and name not in skip)
    counts = Counter(name.split('.', 1)[0] for name in names)
    per_module = tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return FrozenStart(names, per_module, _remedies(model, tuple(m for m, _ in per_module)),
                       getattr(report, 'source', None))


def render_frozen_start(found: FrozenStart) -> str:
    if not found:
        return ''
    where = ', '.join(f'{m}: {n}' for m, n in found.per_module)
    why = (f'{found.loaded_from} does not restore them' if found.loaded_from
           else 'no pretrain_weights were loaded')
    lines = [f'warning: {len(found.names)} frozen parameters keep their initial values for the '
             f'whole run: {why} ({where}; e.g. {found.names[0]}).',
             '  Load weights that hold them (pretrain_weights), or let them train:']
    if found.remedies:
        lines.append('    -o ' + ' '.join(found.remedies))
    lines.append('    or drop the freeze_params patterns that match them.')
    return '\n'.join(lines)
