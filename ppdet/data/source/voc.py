"""Pascal VOC layout: a list file of `image xml` pairs plus one XML per image.

Class names come from the label list (`label_list`, default `label_list.txt` in dataset_dir),
or from the 20 Pascal VOC names only when `use_default_label: true` says so. A name in an XML
that is not in the list is an error naming every such name with its boxes and files.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ppdet.core.errors import DatasetError
from ppdet.core.workspace import register
from ppdet.data.source.boxes import clean_boxes
from ppdet.data.source.dataset import DetDataset
from ppdet.data.source.image_info import size_or_read
from ppdet.data.source.label_list import VOC_CLASS_NAMES, read_label_list
from ppdet.data.summary import DatasetSummary, UnknownLabels

__all__ = ['VOCDataSet']

DEFAULT_LABEL_FILE = 'label_list.txt'
FIX_SIZE = 'width/height missing or 0 in the XML: read from the image'


def _text(node: Optional[ET.Element], tag: str) -> Optional[str]:
    child = node.find(tag) if node is not None else None
    return child.text.strip() if child is not None and child.text is not None else None


def _number(text: Optional[str]) -> float:
    try:
        return float(text) if text is not None else float('nan')
    except ValueError:
        return float('nan')


@register
class VOCDataSet(DetDataset):
    """VOC-format detection data (arguments as PaddleDetection 2.6's VOCDataSet).

    `anno_path` is a text file whose lines are `JPEGImages/x.jpg Annotations/x.xml`, relative
    to dataset_dir (the image part also under image_dir); a line with one word `x` means
    `JPEGImages/x.jpg Annotations/x.xml` as in VOC's ImageSets files.
    """

    def __init__(self, dataset_dir: Optional[str] = None, image_dir: Optional[str] = None,
                 anno_path: Optional[str] = None, data_fields: Optional[List[str]] = None,
                 sample_num: int = -1, label_list: Optional[str] = None,
                 allow_empty: bool = False, empty_ratio: float = 1.0,
                 with_background: Optional[bool] = None,
                 use_default_label: Optional[bool] = None, repeat: int = 1) -> None:
        super().__init__(dataset_dir, image_dir, anno_path, data_fields, sample_num,
                         allow_empty, empty_ratio, label_list, with_background,
                         use_default_label, repeat)
        if 'gt_poly' in (self.data_fields or ()):
            raise DatasetError(
                'VOCDataSet: data_fields asks for gt_poly, but VOC XML holds boxes, no '
                'polygons. Convert the dataset to COCO with tools/x2coco.py --dataset_type voc '
                '(see docs/X2COCO.md), which writes each box as a rectangle polygon, and read '
                'it with COCODataSet; or remove gt_poly from data_fields')

    def _class_list(self, summary: DatasetSummary) -> Tuple[List[str], str]:
        if self.use_default_label:
            if self.label_list:
                raise DatasetError(f'VOCDataSet: both label_list ({self.label_list}) and '
                                   f'use_default_label: true are set; keep one')
            summary.notes.append('use_default_label: true: the 20 Pascal VOC class names')
            return list(VOC_CLASS_NAMES), 'the 20 Pascal VOC names (use_default_label)'
        path = self.path(self.label_list or DEFAULT_LABEL_FILE)
        if not os.path.isfile(path):
            raise DatasetError(
                f'VOCDataSet: no label list: {path} does not exist. Write the class names one '
                f'per line into {path}, or set label_list: <file> (relative to dataset_dir '
                f'{self.dataset_dir or "."}); use_default_label: true selects the 20 Pascal VOC '
                f'names')
        return read_label_list(path), path

    def _list_entries(self) -> List[Tuple[str, str]]:
        if not self.anno_path:
            raise DatasetError('VOCDataSet: anno_path is not set: give the list file of '
                               '"JPEGImages/x.jpg Annotations/x.xml" lines (e.g. trainval.txt)')
        list_file = self.path(self.anno_path)
        if not os.path.isfile(list_file):
            raise DatasetError(f'VOCDataSet: list file {list_file} not found (anno_path '
                               f'{self.anno_path} under dataset_dir {self.dataset_dir or "."})')
        entries = []
        with open(list_file, encoding='utf-8-sig') as f:
            for lineno, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) == 1:
                    parts = [f'JPEGImages/{parts[0]}.jpg', f'Annotations/{parts[0]}.xml']
                if len(parts) != 2:
                    raise DatasetError(f'{list_file}:{lineno}: expected "image.jpg '
                                       f'annotation.xml", got {line.strip()!r}')
                entries.append((parts[0], parts[1]))
        return entries

    def _parse(self, summary: DatasetSummary) -> Tuple[List[Dict[str, Any]], List[str]]:
        names, label_file = self._class_list(summary)
        cname2cid = {n: i for i, n in enumerate(names)}
        summary.unknown = UnknownLabels(
            'class name', label_file,
            f'Add the names to {label_file} (one per line) or fix the annotations.')
        records: List[Dict[str, Any]] = []
        for img_rel, xml_rel in self._list_entries():
            im_file = self.path(self.image_dir, img_rel)
            xml_file = self.path(xml_rel)
            rec = self._parse_one(im_file, xml_file, cname2cid, summary)
            if rec is not None:
                rec['im_id'] = len(records)
                records.append(rec)
        return records, names

    def _parse_one(self, im_file: str, xml_file: str, cname2cid: Dict[str, int],
                   summary: DatasetSummary) -> Optional[Dict[str, Any]]:
        if not os.path.isfile(xml_file):
            summary.refuse(xml_file, 'annotation file not found')
            return None
        if not os.path.isfile(im_file):
            summary.refuse(im_file, 'image file not found')
            return None
        try:
            root = ET.parse(xml_file).getroot()
        except ET.ParseError as e:
            summary.refuse(xml_file, f'XML cannot be parsed ({e})')
            return None
        size = root.find('size')
        wh = size_or_read(_number(_text(size, 'width')), _number(_text(size, 'height')),
                          im_file, FIX_SIZE, xml_file, summary)
        if wh is None:
            return None
        w, h = wh
        boxes, classes, difficult = [], [], []
        for obj in root.iter('object'):
            name = _text(obj, 'name') or ''
            if name not in cname2cid:
                summary.unknown.add(repr(name), xml_file)
                continue
            bb = obj.find('bndbox')
            boxes.append([_number(_text(bb, k)) for k in ('xmin', 'ymin', 'xmax', 'ymax')])
            classes.append(cname2cid[name])
            d = _number(_text(obj, 'difficult'))
            difficult.append(int(d) if np.isfinite(d) else 0)
        gt = clean_boxes(np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(classes),
                         int(w), int(h), xml_file, summary, difficult=np.asarray(difficult))
        return {'im_file': im_file, 'h': int(h), 'w': int(w), **gt}
