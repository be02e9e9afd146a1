"""Options of a conversion, named after PaddleDetection's x2coco flags, checked up front.

Checking everything before reading a single annotation means a wrong flag costs the user a
second, not a half-finished output folder.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

from ppdet.convert.placement import PLACEMENTS
from ppdet.core.errors import ConvertError

DATASET_TYPES = ('voc', 'labelme', 'cityscape')


@dataclass
class ConvertOptions:
    """What to convert and where. Paths may be str or Path.

    labelme / cityscape: json_input_dir (+ image_input_dir, default: beside the JSON files),
    output_dir; split by train/val/test proportions (summing to 1) after a shuffle seeded by
    `seed`. voc: voc_anno_dir with voc_anno_list files (one output per list, named by
    voc_out_name) or, without lists, all XML in voc_anno_dir split like labelme.
    label_list / voc_label_list: a text file, one category name per line, fixing ids 1..N;
    without it the ids follow the sorted union of the names found.
    workers: parsing processes (None: one per usable CPU core). place_images: how images reach
    the output folder (see ppdet.convert.placement; 'auto': hard link, else reflink, else copy).
    """
    dataset_type: str
    json_input_dir: Optional[str] = None
    image_input_dir: Optional[str] = None
    output_dir: Optional[str] = None
    train_proportion: float = 1.0
    val_proportion: float = 0.0
    test_proportion: float = 0.0
    voc_anno_dir: Optional[str] = None
    voc_anno_list: List[str] = field(default_factory=list)
    voc_label_list: Optional[str] = None
    voc_out_name: List[str] = field(default_factory=list)
    seed: int = 0
    label_list: Optional[str] = None
    strict: bool = False
    workers: Optional[int] = None
    copy_images: bool = True
    place_images: str = 'auto'

    def check(self) -> None:
        """Raise ConvertError naming the flag when the options cannot work."""
        if self.dataset_type not in DATASET_TYPES:
            raise ConvertError(f'--dataset_type {self.dataset_type!r}: choose one of '
                               f'{", ".join(DATASET_TYPES)}')
        if self.workers is not None and self.workers < 1:
            raise ConvertError(f'--workers {self.workers}: must be 1 or more')
        if self.place_images not in PLACEMENTS:
            raise ConvertError(f'--place_images {self.place_images!r}: choose one of '
                               f'{", ".join(PLACEMENTS)}')
        props = (self.train_proportion, self.val_proportion, self.test_proportion)
        if any(p < 0 for p in props) or abs(sum(props) - 1.0) > 1e-6:
            raise ConvertError(f'--train/val/test_proportion {props}: must be >= 0 and sum to 1')
        if self.label_list and self.voc_label_list and self.label_list != self.voc_label_list:
            raise ConvertError('--label_list and --voc_label_list disagree; give one of them')
        for flag in ('label_list', 'voc_label_list'):
            v = getattr(self, flag)
            if v and not Path(v).is_file():
                raise ConvertError(f'--{flag} {v}: file not found')
        if self.image_input_dir and not Path(self.image_input_dir).is_dir():
            raise ConvertError(f'--image_input_dir {self.image_input_dir}: not a directory')
        if self.dataset_type == 'voc':
            self._check_voc()
        else:
            if not self.json_input_dir or not Path(self.json_input_dir).is_dir():
                raise ConvertError(f'--json_input_dir {self.json_input_dir}: not a directory '
                                   f'(required for --dataset_type {self.dataset_type})')
            if not self.output_dir:
                raise ConvertError(f'--output_dir is required for --dataset_type '
                                   f'{self.dataset_type}')

    def _check_voc(self) -> None:
        if not self.voc_anno_dir or not Path(self.voc_anno_dir).is_dir():
            raise ConvertError(f'--voc_anno_dir {self.voc_anno_dir}: not a directory')
        for lst in self.voc_anno_list:
            if not Path(lst).is_file():
                raise ConvertError(f'--voc_anno_list {lst}: file not found')
        if self.voc_out_name and len(self.voc_out_name) != len(self.voc_anno_list):
            raise ConvertError(f'--voc_out_name gives {len(self.voc_out_name)} names for '
                               f'{len(self.voc_anno_list)} --voc_anno_list files')
        if not self.voc_anno_list and not self.output_dir:
            raise ConvertError('--dataset_type voc needs --voc_anno_list (and --voc_out_name) '
                               'or --output_dir (split all XML by the proportions)')

    @property
    def worker_count(self) -> int:
        """`workers`, or the CPU cores this process may use."""
        if self.workers is not None:
            return self.workers
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)

    @property
    def fixed_label_file(self) -> Optional[str]:
        return self.label_list or self.voc_label_list

    def voc_out_names(self) -> List[str]:
        """Output JSON name per list: as given, else `<list stem>.json`."""
        if self.voc_out_name:
            return list(self.voc_out_name)
        names = [Path(p).stem + '.json' for p in self.voc_anno_list]
        if len(set(names)) != len(names):
            raise ConvertError(f'--voc_anno_list files share a name ({names}); give '
                               '--voc_out_name for each')
        return names
