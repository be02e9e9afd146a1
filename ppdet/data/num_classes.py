"""Checks the engine runs before training, so mistakes surface as one clear sentence instead
of a CUDA assert or KeyError deep in the loss (PaddleDetection's usual symptom)."""
from __future__ import annotations

from typing import List, Sequence

from ppdet.core.errors import ConfigError, DatasetError

__all__ = ['check_num_classes']


def check_num_classes(class_names: Sequence[str], num_classes: int, where: str) -> None:
    """Raise ConfigError unless the model's num_classes equals the dataset's class count."""
    names: List[str] = list(class_names)
    if not names:
        raise DatasetError(f'{where}: the dataset has no class names, so num_classes '
                           f'{num_classes} cannot be checked; give a label list (VOC '
                           f'label_list.txt, COCO categories, ImageFolder anno_path)')
    if num_classes == len(names):
        return
    shown = ', '.join(names[:10]) + (f', ... (+{len(names) - 10})' if len(names) > 10 else '')
    hint = ''
    if num_classes == len(names) + 1:
        hint = (' (num_classes counting a background class is a PaddleDetection 1.x habit, '
                'with_background: true; here labels are 0-based and models add background '
                'themselves)')
    raise ConfigError(f'num_classes is {num_classes} but the dataset has {len(names)} classes '
                      f'({shown}): set num_classes: {len(names)} in the config or with '
                      f'-o num_classes={len(names)}{hint} [{where}]')
