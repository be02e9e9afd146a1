"""Refuse loads that would silently train (mostly) from scratch.

Rules (each overridable through `LoadPolicy`, all of them with `policy=None`):
- mode `full`: every model tensor must be restored with the same shape — that is what `full`
  promises (resume-like fine-tuning on the same classes);
- every mode: the backbone must be fully loaded (tensors the user excluded by pattern are fine);
- every mode: at least `min_loaded_fraction` of the tensors in scope must be restored, or the
  file is the wrong one.
"""
from __future__ import annotations

from typing import List

from ppdet.checkpoint.report import (EXCLUDED, LOADED, MISSING, SHAPE_MISMATCH, TRANSFERRED,
                                     LoadPolicy, LoadReport, TensorRecord, short_shape)
from ppdet.core.errors import WeightsError

__all__ = ['check_policy']


def _list(records: List[TensorRecord], limit: int = 8) -> str:
    lines = []
    for r in records[:limit]:
        what = r.status if r.status != SHAPE_MISMATCH else (
            f'checkpoint {short_shape(r.source_shape)} vs model {short_shape(r.shape)}')
        if r.status == EXCLUDED:
            what = f'excluded ({r.reason})'
        lines.append(f'  {r.name}: {what}')
    if len(records) > limit:
        lines.append(f'  ... and {len(records) - limit} more')
    return '\n'.join(lines)


def _fail(report: LoadReport, message: str) -> None:
    err = WeightsError(f'{report.source}: {message}')
    err.report = report  # type: ignore[attr-defined]  # lets tools render the full table
    raise err


def check_policy(report: LoadReport, policy: LoadPolicy) -> None:
    """Raise `WeightsError` (with `.report`) when the load breaks the policy."""
    if report.mode == 'full':
        bad = [r for r in report.records if r.status in (SHAPE_MISMATCH, MISSING)]
        if bad:
            _fail(report, f'fine_tune_checkpoint_type: full restores everything, but '
                          f'{len(bad)} tensors cannot be restored:\n{_list(bad)}\n'
                          'Use detection to re-initialise the class/box prediction layers, or '
                          'check that the config matches the checkpoint.')
    bb = policy.backbone_prefix + '.'
    if policy.require_full_backbone:
        bad = [r for r in report.records if r.name.startswith(bb) and r.status != LOADED
               and not (r.status == EXCLUDED and r.reason.startswith('pattern'))]
        if bad:
            _fail(report, f'the backbone is not fully loaded ({len(bad)} tensors):\n'
                          f'{_list(bad)}\nThe checkpoint does not fit this backbone (another '
                          'depth or variant?). Fix pretrain_weights, or exclude those tensors '
                          'explicitly, or set require_full_backbone: false to train them from '
                          'scratch.')
    scope = [r for r in report.records
             if not (r.status == EXCLUDED and r.reason in ('mode classification',))
             and not (r.status == EXCLUDED and r.reason.startswith('pattern'))]
    if scope and policy.min_loaded_fraction > 0:
        restored = sum(1 for r in scope if r.status in (LOADED, TRANSFERRED))
        if restored < policy.min_loaded_fraction * len(scope):
            _fail(report, f'only {restored} of {len(scope)} model tensors could be restored '
                          f'(below {policy.min_loaded_fraction:.0%}); this is probably not a '
                          f'checkpoint of this model ({len(report.unused)} checkpoint tensors '
                          'unused). Check pretrain_weights, or lower min_loaded_fraction.')
