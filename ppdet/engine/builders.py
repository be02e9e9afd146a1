"""The engine's bridge to the config: which section builds which part of a run.

The engine never names an architecture; it asks the config for `architecture` and builds it.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Tuple

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import create

__all__ = ['SLOTS', 'build_model', 'build_data', 'build_metric', 'class_names_of']

# mode -> (dataset slot, reader section)
SLOTS = {'train': ('TrainDataset', 'TrainReader'),
         'eval': ('EvalDataset', 'EvalReader'),
         'test': ('TestDataset', 'TestReader')}


def build_model(cfg: Mapping[str, Any]) -> Any:
    arch = cfg.get('architecture')
    if not arch:
        raise ConfigError('the config has no architecture: set e.g. architecture: YOLOv3')
    return create(arch, cfg)


def build_data(cfg: Mapping[str, Any], mode: str) -> Tuple[Any, Any]:
    """The dataset (parsed, with its summary) and the reader of `mode`."""
    slot, reader_name = SLOTS[mode]
    if cfg.get(slot) is None:
        raise ConfigError(f'the config has no {slot}; add one (see configs/datasets/)')
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
