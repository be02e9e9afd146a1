"""`load_checkpoint_for_resume`: continue a run exactly where it stopped — or refuse.

Resume is not fine-tuning: the model must be the same model, for the same classes in the same
order. A class list that differs from the checkpoint's (a reordered `label_list.txt` trains on
with every label swapped) is an error showing both lists; any missing, unexpected or reshaped
tensor is an error listing the differences and what changed in the config since the checkpoint
was written (PaddleDetection silently re-initialises a head whose class count changed).
Model, optimizer accumulators, LR scheduler, EMA, epoch/step and all RNG states are restored,
so the continued run is bit-identical to an uninterrupted one.
"""
from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import paddle

from ppdet.checkpoint.class_match import class_key, describe_classes, same_class_lists
from ppdet.checkpoint.metadata import prefix_of, read_metadata
from ppdet.checkpoint.safe_pickle import PADDLE_BOOKKEEPING_KEYS, safe_load
from ppdet.checkpoint.save import LATEST_POINTER
from ppdet.checkpoint.state import optimizer_state_from_structured, restore_rng, set_tensor
from ppdet.core.errors import WeightsError

__all__ = ['load_checkpoint_for_resume', 'ResumeState', 'resolve_checkpoint_prefix',
           'config_diff']


@dataclass(frozen=True)
class ResumeState:
    """What was restored; `epoch`/`step` are the completed counts stored at save time."""
    prefix: str
    epoch: int
    step: int
    metadata: Optional[Dict[str, Any]]
    config_diff: Tuple[str, ...]
    restored: Tuple[str, ...]
    extra: Dict[str, Any]


def resolve_checkpoint_prefix(source: str) -> str:
    """A prefix, one of its files, or a directory holding `latest_checkpoint.txt`."""
    path = os.path.expanduser(source)
    if os.path.isdir(path):
        pointer = os.path.join(path, LATEST_POINTER)
        if not os.path.isfile(pointer):
            raise WeightsError(f'{source}: directory without {LATEST_POINTER}; give the '
                               'checkpoint prefix (e.g. output/yolov3/epoch_12)')
        with open(pointer, 'r', encoding='utf-8') as f:
            path = os.path.join(path, f.read().strip())
    prefix = prefix_of(path)
    if not os.path.isfile(prefix + '.pdparams'):
        raise WeightsError(f'{source}: no checkpoint at {prefix}.pdparams')
    return prefix


def config_diff(stored: Optional[str], current: Optional[str]) -> Tuple[str, ...]:
    """Changed lines between the stored and the current resolved config ('-' old, '+' new)."""
    if not stored or not current or stored == current:
        return ()
    lines = difflib.unified_diff(stored.splitlines(), current.splitlines(), 'checkpoint',
                                 'current', n=0, lineterm='')
    return tuple(l for l in lines if not l.startswith(('---', '+++', '@@')))


def _verify_files(prefix: str, meta: Optional[Dict[str, Any]], save_id: Optional[str]) -> None:
    if meta is None:
        return
    for suffix, want in (meta.get('files') or {}).items():
        path = prefix + suffix
        st = os.stat(path) if os.path.isfile(path) else None
        same = st is not None and st.st_size == want.get('size') and \
            st.st_mtime_ns == want.get('mtime_ns')
        if not same:
            raise WeightsError(f'{path}: does not belong to {prefix}.meta.json (a save was '
                               'interrupted or files were copied separately); resume from '
                               'the previous checkpoint')
    if save_id is not None and meta.get('save_id') != save_id:
        raise WeightsError(f'{prefix}.pdstate: written by another save than {prefix}.meta.json '
                           '(interrupted save); resume from the previous checkpoint')


def _check_classes(prefix: str, meta: Optional[Dict[str, Any]],
                   class_names: Optional[Sequence[str]]) -> None:
    """The dataset's classes must be the checkpoint's, in its order (any case)."""
    stored = (meta or {}).get('class_names')
    if not stored or class_names is None or same_class_lists(stored, class_names):
        return
    same_set = sorted(map(class_key, stored)) == sorted(map(class_key, class_names))
    why = ('the same classes in another order: every label would be swapped' if same_set
           else 'other classes')
    raise WeightsError(
        f'{prefix}: cannot resume: the checkpoint was trained on {describe_classes(stored)} '
        f'but the dataset has {describe_classes(class_names)} ({why}).\n'
        'Resume continues the same run, so the classes must be the same, in the same order: '
        'use the label list the run was trained with. To start a new run from these weights '
        f'instead, drop -r and set -o pretrain_weights={prefix}.pdparams (detection mode '
        'copies the head class by class, by name).')


def _shape_differences(model: paddle.nn.Layer, weights: Dict[str, np.ndarray]) -> List[str]:
    sd = model.state_dict()
    out: List[str] = []
    for n, t in sd.items():
        if n not in weights:
            out.append(f'  {n}: in the model, not in the checkpoint')
        elif tuple(weights[n].shape) != tuple(t.shape):
            out.append(f'  {n}: checkpoint {list(weights[n].shape)} vs model {list(t.shape)}')
    out.extend(f'  {n}: in the checkpoint, not in the model' for n in weights if n not in sd)
    return out


def load_checkpoint_for_resume(source: str, model: paddle.nn.Layer, optimizer: Any = None, *,
                               lr_scheduler: Any = None, ema: Any = None,
                               current_config_text: Optional[str] = None,
                               class_names: Optional[Sequence[str]] = None,
                               restore_random_state: bool = True) -> ResumeState:
    """Restore a `save_checkpoint` result into freshly built objects; see the module doc.

    `class_names`: the dataset's classes, compared with those stored in the checkpoint.
    """
    prefix = resolve_checkpoint_prefix(source)
    meta = read_metadata(prefix + '.pdparams')
    _check_classes(prefix, meta, class_names)
    state: Dict[str, Any] = {}
    if os.path.isfile(prefix + '.pdstate'):
        state = safe_load(prefix + '.pdstate')
    _verify_files(prefix, meta, state.get('save_id'))
    weights = {k: v for k, v in safe_load(prefix + '.pdparams').items()
               if k not in PADDLE_BOOKKEEPING_KEYS}
    diff = config_diff((meta or {}).get('config_text'), current_config_text)
    problems = _shape_differences(model, weights)
    if problems:
        shown = problems[:12] + ([f'  ... and {len(problems) - 12} more']
                                 if len(problems) > 12 else [])
        changed = ('\nConfig changes since the checkpoint:\n' + '\n'.join(
            '  ' + l for l in diff[:20])) if diff else ''
        raise WeightsError(
            f'{prefix}: cannot resume, the model differs from the checkpoint '
            f'({len(problems)} tensors):\n' + '\n'.join(shown) + changed +
            '\nResume needs the same model. To start a new training from these weights use '
            'pretrain_weights (fine-tuning) instead of -r.')
    restored = ['model']
    for n, t in model.state_dict().items():
        set_tensor(t, weights[n])
    if optimizer is not None:
        if not os.path.isfile(prefix + '.pdopt'):
            raise WeightsError(f'{prefix}.pdopt: missing; cannot restore the optimizer state '
                               '(momentum etc.) for an exact resume')
        opt_state = optimizer_state_from_structured(safe_load(prefix + '.pdopt'), model)
        opt_state.pop('StructuredToParameterName@@', None)
        optimizer.set_state_dict(opt_state)
        restored.append('optimizer')
    if lr_scheduler is not None and state.get('lr_scheduler') is not None:
        lr_scheduler.set_state_dict(state['lr_scheduler'])
        restored.append('lr_scheduler')
    if ema is not None and state.get('ema') is not None:
        setter = getattr(ema, 'set_state_dict', None) or getattr(ema, 'resume', None)
        if setter is None:
            raise WeightsError('the EMA object has neither set_state_dict nor resume')
        setter(state['ema'])
        restored.append('ema')
    if restore_random_state and state.get('rng'):
        restore_rng(state['rng'])
        restored.append('rng')
    return ResumeState(prefix, int(state.get('epoch', (meta or {}).get('epoch', 0))),
                       int(state.get('step', (meta or {}).get('step', 0))), meta, diff,
                       tuple(restored), dict(state.get('extra') or {}))
