"""Common behaviour of the datasets: lazy parsing, record access, filtering, the summary.

A dataset is pure data: constructing it does no I/O; `parse_dataset()` reads the annotations
once (later calls are free), and `len()` / indexing parse on first use. Records are dicts:

    im_file  str             absolute or dataset-relative path of the image
    im_id    int             image id (COCO id, or running index)
    h, w     int             image size in pixels (from the annotation, or the image header)
    gt_bbox  [N,4] float32   x1, y1, x2, y2 in pixels (pixel-edge coordinates)
    gt_class [N,1] int32     0-based contiguous labels, index into `class_names`
    is_crowd [N,1] int32
    difficult[N,1] int32
    gt_poly  list            per object, its polygons (flat float32 arrays); COCODataSet only,
                             when 'gt_poly' is in data_fields (see ppdet.data.polygon)

Indexing returns a copy, so transforms may change it in place.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ppdet.core.errors import DatasetError
from ppdet.data.summary import DatasetSummary, render_summary

__all__ = ['DetDataset', 'GT_FIELDS', 'copy_record']

logger = logging.getLogger('ppdet.data')

GT_FIELDS = ('gt_bbox', 'gt_class', 'is_crowd', 'difficult')
KNOWN_FIELDS = ('image',) + GT_FIELDS + ('gt_poly', 'gt_score')
_EMPTY_RATIO_SEED = 0  # empty images kept by `empty_ratio` are chosen reproducibly


def copy_record(rec: Dict[str, Any]) -> Dict[str, Any]:
    out = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in rec.items()}
    if 'gt_poly' in out:
        out['gt_poly'] = [[p.copy() for p in obj] for obj in out['gt_poly']]
    return out


class DetDataset:
    """Base of COCODataSet / VOCDataSet / ImageFolder (arguments as in PaddleDetection 2.6).

    Legacy arguments, accepted so old configs load: `with_background` (PaddleDetection 1.x
    shifted labels by one to reserve 0 for background; our labels are always 0-based and the
    models add background themselves, so it changes nothing and the summary says so);
    `use_default_label` (1.x: use the 20 Pascal VOC names instead of a label file; here it does
    exactly that for VOC, and only when set to true).
    """

    def __init__(self, dataset_dir: Optional[str] = None, image_dir: Optional[str] = None,
                 anno_path: Optional[str] = None, data_fields: Optional[List[str]] = None,
                 sample_num: int = -1, allow_empty: bool = False, empty_ratio: float = 1.0,
                 label_list: Optional[str] = None, with_background: Optional[bool] = None,
                 use_default_label: Optional[bool] = None, repeat: int = 1) -> None:
        self.dataset_dir = dataset_dir or ''
        self.image_dir = image_dir or ''
        self.anno_path = anno_path
        self.data_fields = list(data_fields) if data_fields is not None else None
        self.sample_num = sample_num
        self.allow_empty = allow_empty
        self.empty_ratio = empty_ratio
        self.label_list = label_list
        self.with_background = with_background
        self.use_default_label = use_default_label
        self.repeat = max(1, int(repeat))
        self._records: Optional[List[Dict[str, Any]]] = None
        self._class_names: List[str] = []
        self._catid2clsid: Dict[Any, int] = {}
        self._summary: Optional[DatasetSummary] = None
        if self.data_fields is not None:
            bad = [f for f in self.data_fields if f not in KNOWN_FIELDS]
            if bad:
                raise DatasetError(f'{type(self).__name__}: unknown data_fields {bad}; known: '
                                   f'{", ".join(KNOWN_FIELDS)}')

    # -- subclasses implement --------------------------------------------------------------
    def _parse(self, summary: DatasetSummary) -> Tuple[List[Dict[str, Any]], List[str]]:
        """Return (records, class_names); fill `summary` with everything fixed or refused."""
        raise NotImplementedError

    # -- paths -----------------------------------------------------------------------------
    def path(self, *parts: str) -> str:
        """Join `parts` under dataset_dir (absolute parts stay as they are)."""
        return os.path.normpath(os.path.join(self.dataset_dir, *parts))

    def get_anno(self) -> Optional[str]:
        return self.path(self.anno_path) if self.anno_path else None

    # -- parsing ---------------------------------------------------------------------------
    def parse_dataset(self, keep_going: bool = False) -> None:
        """Read the annotations once; log the one-screen summary; raise DatasetError when the
        data cannot be trained on (labels missing from the class list, no usable image).

        keep_going (for tools/check_dataset.py): record those in the summary (`unknown`,
        `unusable`) instead, leaving the unusable parts out, so a checker lists every problem
        of the dataset in one pass.
        """
        if self._records is not None:
            return
        summary = DatasetSummary(name=type(self).__name__, source=self.get_anno() or
                                 self.path(self.image_dir))
        if self.with_background is not None:
            summary.notes.append(
                f'with_background: {self.with_background} is a PaddleDetection 1.x setting '
                f'(labels shifted by one for a background class); ignored: labels here are '
                f'always 0-based and models add background themselves')
        records, names = self._parse(summary)
        records = self._select(records, summary)
        self._finish_summary(records, names, summary)
        self._class_names = list(names)
        if not records and not self._may_be_empty():
            summary.unusable = self._nothing_usable(summary)
        self._summary = summary
        logger.info('\n%s', render_summary(summary))
        errors = ([summary.unknown.message(type(self).__name__)] if summary.num_unknown_boxes
                  else []) + ([summary.unusable] if summary.unusable else [])
        if errors and not keep_going:
            raise DatasetError('\n'.join(errors))
        self._records = records

    def _may_be_empty(self) -> bool:
        return False

    def _select(self, records: List[Dict[str, Any]],
                summary: DatasetSummary) -> List[Dict[str, Any]]:
        """Apply allow_empty / empty_ratio / sample_num, counting what is left out."""
        has_gt = [len(r.get('gt_bbox', ())) > 0 or 'gt_bbox' not in r for r in records]
        full = [r for r, g in zip(records, has_gt) if g]
        empty = [r for r, g in zip(records, has_gt) if not g]
        if empty and not self.allow_empty:
            summary.notes.append(f'{len(empty)} images without boxes not used '
                                 f'(allow_empty: false)')
            summary.empty_images_unused += len(empty)
            empty = []
        if empty and 0.0 <= self.empty_ratio < 1.0:
            want = min(int(len(full) * self.empty_ratio / (1.0 - self.empty_ratio)), len(empty))
            rng = np.random.default_rng(_EMPTY_RATIO_SEED)
            keep = sorted(rng.choice(len(empty), size=want, replace=False).tolist())
            summary.empty_images_unused += len(empty) - want
            if len(empty) > want:
                summary.notes.append(f'{len(empty) - want} images without boxes not used '
                                     f'(empty_ratio: {self.empty_ratio})')
            empty = [empty[i] for i in keep]
        if empty:
            keep_ids = {id(r) for r in full} | {id(r) for r in empty}
            records = [r for r in records if id(r) in keep_ids]
        else:
            records = full
        if self.sample_num > 0 and len(records) > self.sample_num:
            summary.notes.append(f'sample_num: {self.sample_num}: '
                                 f'{len(records) - self.sample_num} further images not used')
            records = records[:self.sample_num]
        if self.data_fields is not None:
            drop = [f for f in GT_FIELDS if f not in self.data_fields]
            for r in records:
                for f in drop:
                    r.pop(f, None)
        return records

    def _finish_summary(self, records: List[Dict[str, Any]], names: List[str],
                        summary: DatasetSummary) -> None:
        summary.class_names = list(names)
        summary.images = len(records)
        counts = np.zeros(len(names), np.int64)
        for r in records:
            if 'gt_bbox' in r and len(r['gt_bbox']) == 0:
                summary.empty_images += 1
            if 'gt_class' in r and len(r['gt_class']):
                counts += np.bincount(r['gt_class'][:, 0], minlength=len(names))[:len(names)]
            if 'is_crowd' in r:
                summary.crowd_boxes += int(r['is_crowd'].sum())
            if 'difficult' in r:
                summary.difficult_boxes += int(r['difficult'].sum())
            if 'gt_poly' in r:
                summary.polygons = (summary.polygons or 0) + sum(len(o) for o in r['gt_poly'])
                summary.objects_with_polygons += sum(1 for o in r['gt_poly'] if o)
        summary.boxes_per_class = {n: int(c) for n, c in zip(names, counts)} if any(
            'gt_class' in r for r in records) else {}

    def _nothing_usable(self, s: DatasetSummary) -> str:
        why = [f'{len(s.refused)} images refused'] if s.refused else []
        if s.empty_images_unused:
            why.append(f'{s.empty_images_unused} images without boxes '
                       f'(set allow_empty: true to use them)')
        detail = '; '.join(why) or 'the annotation lists no images'
        detail += ''.join(f'\n  refused {p}: {r}' for p, r in s.refused[:3])
        return (f'{type(self).__name__}: no usable images in {s.source} ({detail}). '
                f'Check dataset_dir ({self.dataset_dir or "."}), image_dir and anno_path; '
                f'run tools/check_dataset.py for details')

    # -- access ----------------------------------------------------------------------------
    @property
    def records(self) -> List[Dict[str, Any]]:
        self.parse_dataset()
        assert self._records is not None
        return self._records

    @property
    def class_names(self) -> List[str]:
        self.parse_dataset()
        return list(self._class_names)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def catid2clsid(self) -> Dict[Any, int]:
        """Annotation category id -> 0-based label (identity for label-list datasets)."""
        self.parse_dataset()
        return dict(self._catid2clsid) or {i: i for i in range(len(self._class_names))}

    @property
    def clsid2catid(self) -> Dict[int, Any]:
        """0-based label -> annotation category id, for writing results back."""
        return {v: k for k, v in self.catid2clsid.items()}

    @property
    def summary(self) -> DatasetSummary:
        self.parse_dataset()
        assert self._summary is not None
        return self._summary

    def __len__(self) -> int:
        return len(self.records) * self.repeat

    def __getitem__(self, idx: int) -> Dict[str, Any]:
        recs = self.records
        if not -len(self) <= idx < len(self):
            raise IndexError(f'index {idx} out of range for {len(self)} records')
        return copy_record(recs[idx % len(recs)])
