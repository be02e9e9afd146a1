"""Public entry points of the config system, named as PaddleDetection users know them.

    cfg = load_config('configs/yolov3/yolov3_darknet53_270e_coco.yml')
    merge_config(cfg, ['TrainReader.batch_size=4', 'LearningRate.base_lr=1e-3'])
    model = create(cfg.architecture, cfg)

Nothing here keeps state between calls: every config is its own object.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Union

from ppdet.core.builder import Builder
from ppdet.core.config import AttrDict, Config, read_config_file, to_attrdict
from ppdet.core.dump import annotated_yaml, resolved_yaml
from ppdet.core.errors import ConfigError
from ppdet.core.overrides import apply_mapping, apply_overrides
from ppdet.core.registry import (ensure_components_loaded, get_schema, register,
                                 registered_names, serializable)
from ppdet.core.validate import ValidationResult, validate_config

__all__ = ['register', 'serializable', 'create', 'load_config', 'merge_config',
           'validate_config', 'resolved_yaml', 'annotated_yaml', 'Config', 'AttrDict',
           'ConfigError', 'get_schema', 'registered_names', 'ValidationResult']


def load_config(path: str, validate: bool = True) -> Config:
    """Read a config and its `_BASE_` files into a new, validated Config."""
    ensure_components_loaded()
    data, sources, files = read_config_file(path)
    cfg = Config((k, to_attrdict(v)) for k, v in data.items())
    cfg.sources.update(sources)
    cfg.files.extend(files)
    if validate:
        _record(cfg, validate_config(cfg))
    return cfg


def merge_config(cfg: Config, overrides: Union[Iterable[str], Mapping[str, Any], None],
                 validate: bool = True) -> Config:
    """Apply `-o` items (`['a.b=1', ...]`) or a nested mapping to `cfg`, then re-validate."""
    if not isinstance(cfg, Config):
        raise TypeError('merge_config expects a Config from load_config')
    if overrides:
        if isinstance(overrides, Mapping):
            apply_mapping(cfg, overrides)
        else:
            apply_overrides(cfg, list(overrides))
    if validate:
        _record(cfg, validate_config(cfg))
    return cfg


def _record(cfg: Config, result: ValidationResult) -> None:
    cfg.notices[:] = [f'{key} ({where}): accepted but unused: {why}'
                      for key, why, where in result.unused]


def create(name: Any, cfg: Mapping[str, Any], **overrides: Any) -> Any:
    """Build a registered class (`'YOLOv3'`, `'TrainReader'`), a dataset slot
    (`'TrainDataset'`) or an inline mapping from `cfg`; `overrides` replace arguments."""
    ensure_components_loaded()
    return Builder(cfg).create(name, **overrides)
