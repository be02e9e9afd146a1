"""Class names for predictions when the config's annotation file is not on this machine.

PaddleDetection's zoo configs name their classes through `TestDataset.anno_path`, a COCO
annotation file most users of the zoo weights do not have. When that file is missing and the
config itself says which standard label set the model predicts — `metric: COCO` with
`num_classes: 80`, or `metric: VOC` with `num_classes: 20` — the names shipped here
(`class_lists/coco80.txt`, `voc20.txt`, in the label order of those datasets) are used, and a
line says so and how to give other names. Any other class count is never guessed.
"""
from __future__ import annotations

import os
from typing import Any, Optional

__all__ = ['shipped_class_list', 'fill_missing_test_names']

_LISTS = {('COCO', 80): 'coco80.txt', ('VOC', 20): 'voc20.txt'}
_HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'class_lists')


def shipped_class_list(metric: Any, num_classes: Any) -> Optional[str]:
    """The shipped label list for (metric, num_classes), or None."""
    try:
        name = _LISTS.get((str(metric), int(num_classes)))
    except (TypeError, ValueError):
        return None
    return os.path.join(_HERE, name) if name else None


def _missing_names_file(cfg: Any) -> Optional[str]:
    """The TestDataset label file the config names, when it does not exist (else None)."""
    spec = cfg.get('TestDataset')
    if not hasattr(spec, 'get'):
        return None
    anno = spec.get('anno_path') or spec.get('label_list')
    if not anno:
        return None
    path = os.path.normpath(os.path.join(str(spec.get('dataset_dir') or ''), str(anno)))
    return None if os.path.isfile(path) else path


def fill_missing_test_names(cfg: Any, checkpoint_names: Optional[list]) -> Optional[str]:
    """When TestDataset's label file is missing, name the classes another way if the config
    or the checkpoint says which: point TestDataset at the checkpoint's names (by dropping
    the missing file) or at a shipped list. Returns the line to print; None when nothing
    changed (then reading the missing file fails with its own error)."""
    from ppdet.core.workspace import merge_config
    missing = _missing_names_file(cfg)
    if missing is None:
        return None
    key = 'anno_path' if cfg['TestDataset'].get('anno_path') else 'label_list'
    remedy = ('to give other names: -o TestDataset.dataset_dir=. '
              f'TestDataset.{key}=path/to/label_list.txt (one name per line, in label order)')
    if checkpoint_names:
        merge_config(cfg, [f'TestDataset.{key}=null'])
        return (f'class names: from the checkpoint metadata ({len(checkpoint_names)} names), '
                f'because {missing} does not exist; {remedy}')
    shipped = shipped_class_list(cfg.get('metric'), cfg.get('num_classes'))
    if shipped is None:
        return None
    merge_config(cfg, [f'TestDataset.{key}={shipped}'])  # absolute: dataset_dir not joined
    return (f'class names: the {cfg.get("num_classes")} {cfg.get("metric")} names shipped '
            f'with ppdet ({shipped}), because {missing} does not exist and the config says '
            f'metric: {cfg.get("metric")} with num_classes: {cfg.get("num_classes")}; {remedy}')
