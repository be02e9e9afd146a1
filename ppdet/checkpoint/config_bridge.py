"""Read the transfer-learning keys of a config into `load_pretrain_weights` arguments.

Kept apart from the loader so the loader can be used (and tested) without any config, and the
engine and `tools/inspect_weights.py` read the keys the same way:
`pretrain_weights`, `finetune_exclude_pretrained_params`, `fine_tune_checkpoint_type`
(default `detection`), `class_aware_transfer` (default true), `pretrain_class_names`,
`load_policy: {require_full_backbone: bool, min_loaded_fraction: float,
allow_shape_mismatch: bool}` (null = accept all),
`freeze_params`.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Mapping, Optional, Union

from ppdet.checkpoint.report import LoadPolicy
from ppdet.core.errors import WeightsError, did_you_mean
from ppdet.core.toplevel import register_toplevel_keys

__all__ = ['load_policy_from', 'pretrain_kwargs_from_config', 'freeze_patterns_from_config']

_UNSET = object()

register_toplevel_keys(__name__, {
    'pretrain_weights': Optional[str],
    'finetune_exclude_pretrained_params': Optional[Union[List[str], str]],
    'fine_tune_checkpoint_type': str,
    'freeze_params': Optional[Union[List[str], str]],
    'class_aware_transfer': bool,
    'pretrain_class_names': Optional[List[str]],
    'load_policy': Optional[Dict[str, Any]],
}, choices={'fine_tune_checkpoint_type': ('classification', 'detection', 'full')})


def load_policy_from(value: Any) -> Optional[LoadPolicy]:
    """`load_policy` config value -> LoadPolicy (absent: defaults; null/false: no policy)."""
    if value is _UNSET:
        return LoadPolicy()
    if value is None or value is False:
        return None
    if not isinstance(value, Mapping):
        raise WeightsError(f'load_policy: expected a mapping, got {value!r}')
    fields = {f.name for f in dataclasses.fields(LoadPolicy)}
    for key in value:
        if key not in fields:
            raise WeightsError(f'load_policy.{key}: unknown option'
                               + did_you_mean(str(key), fields))
    return LoadPolicy(**dict(value))


def _as_list(value: Any) -> Optional[List[str]]:
    if value is None:
        return None
    return [value] if isinstance(value, str) else list(value)


def pretrain_kwargs_from_config(cfg: Mapping[str, Any]) -> Dict[str, Any]:
    """Keyword arguments for `load_pretrain_weights` (everything but model, source, targets)."""
    return {
        'exclude': _as_list(cfg.get('finetune_exclude_pretrained_params')),
        'mode': cfg.get('fine_tune_checkpoint_type') or 'detection',
        'class_aware': bool(cfg.get('class_aware_transfer', True)),
        'source_class_names': _as_list(cfg.get('pretrain_class_names')),
        'policy': load_policy_from(cfg.get('load_policy', _UNSET)),
    }


def freeze_patterns_from_config(cfg: Mapping[str, Any]) -> Optional[List[str]]:
    return _as_list(cfg.get('freeze_params'))
