"""COCO json annotations.

Category ids may be anything a file contains (gaps, 0-based, strings): they map to contiguous
0-based labels in the order of the `categories` list, and back through `clsid2catid` when
results are written for evaluation. Class names are the category names.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ppdet.core.errors import DatasetError
from ppdet.core.workspace import register
from ppdet.data.source.boxes import DROP_NONFINITE, clean_boxes
from ppdet.data.source.dataset import DetDataset
from ppdet.data.source.image_info import size_or_read
from ppdet.data.source.segmentation import read_segmentation
from ppdet.data.summary import DatasetSummary, UnknownLabels

__all__ = ['COCODataSet']

FIX_SIZE = 'width/height missing or 0 in the json: read from the image'
DROP_CROWD = 'crowd box not loaded (load_crowd: false)'
DROP_NO_IMAGE = 'annotation refers to an image_id not in "images"'


def _load_json(path: str) -> Dict[str, Any]:
    if not os.path.isfile(path):
        raise DatasetError(f'COCODataSet: annotation file {path} not found')
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise DatasetError(f'COCODataSet: cannot read {path}: {e}') from None
    if not isinstance(data, dict) or not isinstance(data.get('images'), list):
        raise DatasetError(f'COCODataSet: {path} is not a COCO detection file (no "images" list)')
    return data


def _categories(data: Dict[str, Any], path: str) -> Tuple[List[str], Dict[Any, int]]:
    cats = data.get('categories') or []
    if not cats:
        raise DatasetError(f'COCODataSet: {path} has no "categories": class names would be '
                           f'unknown; add the categories list')
    names, catid2clsid = [], {}
    for c in cats:
        if not isinstance(c, dict) or 'id' not in c:
            raise DatasetError(f'COCODataSet: {path}: a category without "id": {c!r}')
        if c['id'] in catid2clsid:
            raise DatasetError(f'COCODataSet: {path}: category id {c["id"]!r} appears twice')
        catid2clsid[c['id']] = len(names)
        names.append(str(c.get('name', c['id'])))
    return names, catid2clsid


@register
class COCODataSet(DetDataset):
    """COCO-format detection data (arguments as PaddleDetection 2.6's COCODataSet).

    With 'gt_poly' in `data_fields` each object also gets its polygons from `segmentation`
    (see ppdet.data.source.segmentation for the forms read and the repairs counted).
    """

    def __init__(self, dataset_dir: Optional[str] = None, image_dir: Optional[str] = None,
                 anno_path: Optional[str] = None, data_fields: Optional[List[str]] = None,
                 sample_num: int = -1, load_crowd: bool = False, allow_empty: bool = False,
                 empty_ratio: float = 1.0, label_list: Optional[str] = None,
                 with_background: Optional[bool] = None,
                 use_default_label: Optional[bool] = None, repeat: int = 1) -> None:
        super().__init__(dataset_dir, image_dir, anno_path, data_fields, sample_num,
                         allow_empty, empty_ratio, label_list, with_background,
                         use_default_label, repeat)
        self.load_crowd = load_crowd

    def _parse(self, summary: DatasetSummary) -> Tuple[List[Dict[str, Any]], List[str]]:
        if not self.anno_path:
            raise DatasetError('COCODataSet: anno_path is not set: give the json file, e.g. '
                               'annotations/instances_train.json')
        path = self.path(self.anno_path)
        data = _load_json(path)
        names, catid2clsid = _categories(data, path)
        if self.label_list:
            summary.notes.append(f'label_list {self.label_list} ignored: COCO class names come '
                                 f'from the json categories')
        if self.use_default_label:
            summary.notes.append('use_default_label ignored: COCO class names come from the '
                                 'json categories')
        self._catid2clsid = catid2clsid
        images = {}
        for img in data['images']:
            if isinstance(img, dict) and 'id' in img and 'file_name' in img:
                images[img['id']] = img
            else:
                summary.refuse(path, f'image entry without id/file_name: {str(img)[:60]}')
        anns_by_image: Dict[Any, List[Dict[str, Any]]] = defaultdict(list)
        summary.unknown = UnknownLabels(
            'category id', f'the "categories" of {path}',
            'Add the categories to the json or fix the annotations.', container='image',
            separator=' used by')
        for ann in data.get('annotations') or []:
            if ann.get('image_id') not in images:
                summary.drop(DROP_NO_IMAGE, path)
            elif ann.get('category_id') not in catid2clsid:
                im = str(images[ann['image_id']]['file_name'])
                summary.unknown.add(f'category_id {ann.get("category_id")!r}', im)
            else:
                anns_by_image[ann['image_id']].append(ann)
        records = []
        for im_id, img in images.items():
            rec = self._record(img, anns_by_image.get(im_id, []), catid2clsid, summary)
            if rec is not None:
                records.append(rec)
        return records, names

    def _record(self, img: Dict[str, Any], anns: List[Dict[str, Any]],
                catid2clsid: Dict[Any, int], summary: DatasetSummary) -> Optional[Dict[str, Any]]:
        im_file = self.path(self.image_dir, str(img['file_name']))
        if not os.path.isfile(im_file):
            summary.refuse(im_file, 'image file not found')
            return None
        wh = size_or_read(img.get('width'), img.get('height'), im_file, FIX_SIZE, im_file,
                          summary)
        if wh is None:
            return None
        w, h = wh
        with_poly = 'gt_poly' in (self.data_fields or ())
        boxes, classes, crowd, polys = [], [], [], []
        for ann in anns:
            is_crowd = int(bool(ann.get('iscrowd', 0)))
            if is_crowd and not self.load_crowd:
                summary.drop(DROP_CROWD, im_file)
                continue
            bb = ann.get('bbox')
            try:
                x, y, bw, bh = (float(v) for v in bb)
            except (TypeError, ValueError):
                summary.drop(DROP_NONFINITE, im_file)
                continue
            if with_poly:
                parts = read_segmentation(ann.get('segmentation'), (x, y, x + bw, y + bh),
                                          int(w), int(h), im_file, summary)
                if parts is None:
                    continue
                polys.append(parts)
            boxes.append([x, y, x + bw, y + bh])
            classes.append(catid2clsid[ann['category_id']])
            crowd.append(is_crowd)
        gt = clean_boxes(np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(classes),
                         int(w), int(h), im_file, summary, is_crowd=np.asarray(crowd),
                         polys=polys if with_poly else None)
        return {'im_file': im_file, 'im_id': img['id'], 'h': int(h), 'w': int(w), **gt}
