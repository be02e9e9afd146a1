"""Refuse loads that would silently train (mostly) from scratch, or with the wrong labels.

Rules (each overridable through `LoadPolicy`, all of them with `policy=None`):
- mode `full`: every model tensor must be restored whole — that is what `full` promises
  (fine-tuning on the same classes). A class-dependent layer counts as restored when the
  checkpoint's classes were matched by name to the dataset's (a reordering is applied), and
  the refusal shows both class lists when they differ;
- every mode: the backbone must be fully loaded (tensors the user excluded by pattern, and the
  extra layers a backbone-only checkpoint cannot have, are fine);
- `allow_shape_mismatch: false`: no shape mismatch outside the class-dependent layers;
- every mode: at least `min_loaded_fraction` of the tensors in scope must be restored, or the
  file is the wrong one.
Each refusal names the tensors and the remedies, with the exact pattern to write.
"""
from __future__ import annotations

from typing import List, Sequence

from ppdet.checkpoint.class_match import describe_classes
from ppdet.checkpoint.plan import BACKBONE_EXTRA, MODE_EXCLUDED
from ppdet.checkpoint.report import (EXCLUDED, LOADED, SHAPE_MISMATCH, TRANSFERRED,
                                     LoadPolicy, LoadReport, TensorRecord, short_shape)
from ppdet.core.errors import WeightsError

__all__ = ['check_policy']


def _list(records: List[TensorRecord], limit: int = 8) -> str:
    lines = []
    for r in records[:limit]:
        what = r.status
        if r.status == SHAPE_MISMATCH:
            what = f'checkpoint {short_shape(r.source_shape)} vs model {short_shape(r.shape)}'
        elif r.status == EXCLUDED:
            what = f'excluded ({r.reason})'
        elif r.status == TRANSFERRED:
            what = f'only partly restored ({r.reason}; the other classes start fresh)'
        lines.append(f'  {r.name}: {what}')
    if len(records) > limit:
        lines.append(f'  ... and {len(records) - limit} more')
    return '\n'.join(lines)


def _exclude_hint(records: Sequence[TensorRecord]) -> str:
    """`finetune_exclude_pretrained_params: [...]` covering `records` by their layers."""
    layers: List[str] = []
    for r in records:
        parts = r.name.split('.')
        layer = '.'.join(parts[:2]) + '.*' if len(parts) > 2 else r.name
        if layer not in layers:
            layers.append(layer)
    return 'finetune_exclude_pretrained_params: [' + ', '.join(f"'{l}'" for l in layers) + ']'


def _fail(report: LoadReport, message: str) -> None:
    err = WeightsError(f'{report.source}: {message}')
    err.report = report  # type: ignore[attr-defined]  # lets tools render the full table
    raise err


def _by_pattern(r: TensorRecord) -> bool:
    return r.status == EXCLUDED and r.reason.startswith('pattern ')


def _class_lists(report: LoadReport) -> str:
    c = report.classes
    if not c.source_names or not c.target_names or c.same_classes:
        return ''
    same_set = not c.new and len(c.kept) == len(c.source_names)
    if same_set:
        why = 'the same classes in another order'
    elif c.new:
        why = (f"{len(c.new)} of the model's classes are not in the checkpoint "
               f'({", ".join(c.new[:6])})')
    else:
        why = "a subset of the checkpoint's classes"
    if not c.enabled:
        fix = ("Use a label list in the checkpoint's order, or class_aware_transfer: true to "
               'copy the head by class name.' if same_set else
               'class_aware_transfer: true copies the head by class name.')
    else:
        fix = ('Use fine_tune_checkpoint_type: detection: the classes the checkpoint knows are '
               'copied by name, the others start fresh.')
    return (f'\nThe checkpoint was trained on {describe_classes(c.source_names)}; the model is '
            f'for {describe_classes(c.target_names)}: {why}. {fix}')


def _check_full(report: LoadReport) -> None:
    bad = [r for r in report.records if not r.fully_restored and not _by_pattern(r)]
    if bad:
        _fail(report, f'fine_tune_checkpoint_type: full restores everything, but '
                      f'{len(bad)} tensors cannot be restored whole:\n{_list(bad)}'
                      f'{_class_lists(report)}\n'
                      'Use detection to re-initialise what does not fit, or check that the '
                      'config matches the checkpoint.')


def check_policy(report: LoadReport, policy: LoadPolicy) -> None:
    """Raise `WeightsError` (with `.report`) when the load breaks the policy."""
    if report.mode == 'full':
        _check_full(report)
    bb = policy.backbone_prefix + '.'
    if policy.require_full_backbone:
        bad = [r for r in report.records if r.name.startswith(bb) and r.status != LOADED
               and not _by_pattern(r) and r.reason != BACKBONE_EXTRA]
        if bad:
            _fail(report, f'the backbone is not fully loaded ({len(bad)} tensors):\n'
                          f'{_list(bad)}\nThe checkpoint does not fit this backbone (another '
                          'depth or variant?). Fix pretrain_weights; or, to train those tensors '
                          f'from scratch, exclude them explicitly ({_exclude_hint(bad)}) or set '
                          'load_policy: {require_full_backbone: false}.')
    if not policy.allow_shape_mismatch:
        bad = [r for r in report.records if r.status == SHAPE_MISMATCH and not r.class_dependent]
        if bad:
            _fail(report, f'{len(bad)} tensors outside the class-dependent layers have other '
                          f'shapes than in the checkpoint:\n{_list(bad)}\nCheck that the config '
                          'matches the checkpoint; or, to train them from scratch, exclude them '
                          f'explicitly ({_exclude_hint(bad)}) or set load_policy: '
                          '{allow_shape_mismatch: true}.')
    _check_fraction(report, policy)


def _check_fraction(report: LoadReport, policy: LoadPolicy) -> None:
    scope = [r for r in report.records if not (r.status == EXCLUDED and r.reason == MODE_EXCLUDED)
             and not _by_pattern(r) and r.reason != BACKBONE_EXTRA]
    if scope and policy.min_loaded_fraction > 0:
        restored = sum(1 for r in scope if r.status in (LOADED, TRANSFERRED))
        if restored < policy.min_loaded_fraction * len(scope):
            _fail(report, f'only {restored} of {len(scope)} model tensors could be restored '
                          f'(below {policy.min_loaded_fraction:.0%}); this is probably not a '
                          f'checkpoint of this model ({len(report.unused)} checkpoint tensors '
                          'unused). Check pretrain_weights, or lower min_loaded_fraction.')
