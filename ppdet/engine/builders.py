"""The engine's bridge to the config: which section builds which part of a run.

The engine never names an architecture; it asks the config for `architecture` and builds it,
and it learns which architectures exist from what is registered.
"""
from __future__ import annotations

import os
from typing import Any, List, Mapping, Optional, Tuple

from ppdet.core.errors import ConfigError, DatasetError
from ppdet.core.workspace import create, get_schema, registered_names

__all__ = ['SLOTS', 'build_model', 'build_data', 'build_metric', 'class_names_of',
           'available_architectures', 'check_architecture', 'main_value']

# mode -> (dataset slot, reader section)
SLOTS = {'train': ('TrainDataset', 'TrainReader'),
         'eval': ('EvalDataset', 'EvalReader'),
         'test': ('TestDataset', 'TestReader')}


def build_model(cfg: Mapping[str, Any]) -> Any:
    arch = cfg.get('architecture')
    if not arch:
        raise ConfigError(f'the config has no architecture: set architecture: to one of '
                          f'{", ".join(available_architectures())}')
    return create(arch, cfg)


def available_architectures() -> List[str]:
    """Registered detector classes (subclasses of the detector base class), sorted."""
    from ppdet.modeling.architectures.meta_arch import BaseArch
    out = []
    for name in registered_names():
        cls = get_schema(name).cls
        if isinstance(cls, type) and issubclass(cls, BaseArch) and cls is not BaseArch:
            out.append(name)
    return out


def check_architecture(cfg: Mapping[str, Any]) -> None:
    """A config of a family we do not have fails on that alone, before the keys of its
    components are reported as unknown one by one."""
    arch = cfg.get('architecture')
    if not isinstance(arch, str):
        return
    available = available_architectures()
    if arch not in available:
        where = cfg.where(('architecture',)) if hasattr(cfg, 'where') else ''
        raise ConfigError(f'architecture {arch!r} is not available here; available: '
                          f'{", ".join(available)}' + (f'\n  (architecture: {arch} at {where})'
                                                       if where else ''))


def _check_dataset_dir(cfg: Mapping[str, Any], slot: str) -> None:
    spec = cfg.get(slot)
    folder = spec.get('dataset_dir') if isinstance(spec, Mapping) else None
    if folder and not os.path.isdir(str(folder)):
        where = cfg.where((slot, 'dataset_dir')) if hasattr(cfg, 'where') else slot
        raise DatasetError(f'{slot}.dataset_dir {folder}: the folder does not exist (looked '
                           f'for {os.path.abspath(str(folder))}, set at {where}); run from '
                           f'the folder the path is relative to, or give it with -o '
                           f'{slot}.dataset_dir=path/to/data')


def build_data(cfg: Mapping[str, Any], mode: str) -> Tuple[Any, Any]:
    """The dataset (parsed, with its summary) and the reader of `mode`."""
    slot, reader_name = SLOTS[mode]
    if cfg.get(slot) is None:
        raise ConfigError(f'the config has no {slot}; add one (see configs/datasets/)')
    if mode != 'test':  # ImageFolder reads only its label list from dataset_dir
        _check_dataset_dir(cfg, slot)
    dataset = create(slot, cfg)
    dataset.parse_dataset()
    reader = create(reader_name, cfg)
    return dataset, reader


def class_names_of(dataset: Any) -> list:
    return list(getattr(dataset, 'class_names', []) or [])


def build_metric(cfg: Mapping[str, Any], dataset: Any) -> Optional[Any]:
    """`metric: VOC` -> VOCMetric, `metric: COCO` -> COCOMetric over the dataset's annotations."""
    from ppdet.metrics import COCOMetric, VOCMetric
    kind = cfg.get('metric')
    names = class_names_of(dataset)
    if kind == 'VOC':
        return VOCMetric(names, map_type=cfg.get('map_type', '11point'))
    if kind == 'COCO':
        anno = dataset.get_anno()
        if not anno:
            raise ConfigError('metric: COCO needs EvalDataset.anno_path (a COCO json)')
        return COCOMetric(anno, clsid2catid=dataset.clsid2catid, class_names=names)
    if kind is None:
        return None
    raise ConfigError(f'metric: {kind!r} is not supported here; use COCO or VOC')


def main_value(result: Mapping[str, Any]) -> float:
    """The headline number of a metric result (mAP, or COCO AP@[.5:.95])."""
    value = result.get('bbox')
    if isinstance(value, (list, tuple)) and value:
        return float(value[0])
    return float('nan')
