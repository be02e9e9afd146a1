"""Metric classes the engine drives: update() per batch, accumulate(), result(), reset().

Inputs are dicts of numpy arrays (anything with `.numpy()` is converted):
- `outputs['bbox']` [N, 6] rows (class index, score, x1, y1, x2, y2) in original-image pixels,
  `outputs['bbox_num']` [B] rows per image; for instance segmentation also `outputs['mask']`
  [N, H, W] 0/1 in original-image pixels, rows aligned with `bbox` (COCO metric only);
- `inputs['im_id']` [B] or [B, 1]; for VOC also `gt_bbox`, `gt_class`, optional `difficult`,
  as a list of per-image arrays or padded [B, M, ...] arrays (padding rows found by
  `pad_gt_mask` when given, else all-zero boxes), and optional `scale_factor` [B, 2] (y, x).
"""
from __future__ import annotations

from typing import Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.metrics.coco_eval import (STAT_NAMES, default_clsid2catid, detections_to_coco,
                                     evaluate_coco, load_coco_gt)
from ppdet.metrics.masks import masks_to_coco
from ppdet.metrics.table import render_ap_table
from ppdet.metrics.voc_map import MAP_TYPES, DetectionMAP


def _np(x) -> np.ndarray:
    return np.asarray(x.numpy() if hasattr(x, 'numpy') else x)


def _per_image(value, batch: int) -> List[np.ndarray]:
    """A list of per-image arrays from a list or a [B, ...] array."""
    if isinstance(value, (list, tuple)):
        return [_np(v) for v in value]
    arr = _np(value)
    return [arr[i] for i in range(batch)]


class Metric:
    """Common interface; subclasses fill in the four methods."""

    def update(self, inputs: Mapping, outputs: Mapping) -> None:
        raise NotImplementedError

    def accumulate(self) -> None:
        raise NotImplementedError

    def result(self) -> Dict[str, List[float]]:
        raise NotImplementedError

    def reset(self) -> None:
        raise NotImplementedError

    def per_class_table(self) -> str:
        raise NotImplementedError


class VOCMetric(Metric):
    """VOC mAP at one IoU threshold; result() -> {'bbox': [mAP in 0..1]}.

    gt_in_input_scale: ground truth in `inputs` is in network-input pixels (the Resize transform
    scales gt_bbox) while detections are in original pixels, so gt is divided by scale_factor —
    PaddleDetection's convention. Set False when gt arrives in original pixels.
    """

    def __init__(self, class_names: Sequence[str], map_type: str = '11point',
                 overlap_thresh: float = 0.5, evaluate_difficult: bool = False,
                 is_bbox_normalized: bool = False, gt_in_input_scale: bool = True) -> None:
        if map_type not in MAP_TYPES:
            raise ConfigError(f'map_type: {map_type!r} is not one of {", ".join(MAP_TYPES)}')
        self.class_names = list(class_names)
        self.gt_in_input_scale = gt_in_input_scale
        self.detection_map = DetectionMAP(len(self.class_names), overlap_thresh, map_type,
                                          is_bbox_normalized, evaluate_difficult)
        self.map_type = map_type
        self.overlap_thresh = overlap_thresh

    def reset(self) -> None:
        self.detection_map.reset()

    def update(self, inputs: Mapping, outputs: Mapping) -> None:
        bbox = _np(outputs['bbox']).reshape(-1, 6)
        nums = _np(outputs['bbox_num']).reshape(-1).astype(np.int64)
        batch = len(nums)
        gt_boxes = _per_image(inputs['gt_bbox'], batch)
        gt_classes = _per_image(inputs['gt_class'], batch)
        diffs = _per_image(inputs['difficult'], batch) if 'difficult' in inputs else [None] * batch
        masks = _per_image(inputs['pad_gt_mask'], batch) if 'pad_gt_mask' in inputs else None
        scale = _np(inputs['scale_factor']).reshape(-1, 2) \
            if self.gt_in_input_scale and 'scale_factor' in inputs else None
        start = 0
        for i in range(batch):
            box = np.asarray(gt_boxes[i], np.float64).reshape(-1, 4)
            cls = np.asarray(gt_classes[i]).reshape(-1)
            diff = None if diffs[i] is None else np.asarray(diffs[i]).reshape(-1)
            if masks is not None:
                keep = np.asarray(masks[i]).reshape(-1) > 0
            else:
                keep = np.any(box != 0, axis=1)
            box, cls = box[keep], cls[keep]
            diff = None if diff is None else diff[keep]
            if scale is not None:
                sy, sx = scale[i]
                box = box / np.array([sx, sy, sx, sy])
            self.detection_map.update(bbox[start:start + nums[i]], box, cls, diff)
            start += int(nums[i])

    def accumulate(self) -> None:
        self.detection_map.accumulate()

    def result(self) -> Dict[str, List[float]]:
        m = self.detection_map.mAP
        return {'bbox': [0.0 if m is None else m]}

    def per_class_ap(self) -> List[Optional[float]]:
        """AP per class in class order; None for classes without ground truth."""
        return list(self.detection_map.class_ap)

    def per_class_table(self) -> str:
        return render_ap_table(self.class_names, {f'AP{int(self.overlap_thresh * 100)}':
                                                  self.per_class_ap()},
                               title=f'VOC AP ({self.map_type}, IoU>{self.overlap_thresh})')


class COCOMetric(Metric):
    """COCO AP via pycocotools; result() -> {'bbox': the 12 COCOeval stats} and, when the
    model returns masks, {'segm': the 12 stats of the masks} beside it.

    clsid2catid maps the model's contiguous class index to the dataset's category id (default:
    categories in ascending id); class_names default to the dataset's category names. segm AP
    needs a segmentation on every ground-truth annotation: when some have none (a detection
    dataset), it is left out and `segm_note` says why.
    """

    def __init__(self, anno: Union[str, dict], clsid2catid: Optional[Mapping[int, int]] = None,
                 class_names: Optional[Sequence[str]] = None) -> None:
        self.anno_name = anno if isinstance(anno, str) else 'the annotations'
        self.coco_gt = load_coco_gt(anno)
        self.clsid2catid = dict(clsid2catid) if clsid2catid else default_clsid2catid(self.coco_gt)
        cat_ids = sorted(self.clsid2catid.values())
        if class_names is not None:
            by_cat = {self.clsid2catid[i]: n for i, n in enumerate(class_names)
                      if i in self.clsid2catid}
        else:
            by_cat = {c['id']: c['name'] for c in self.coco_gt.dataset.get('categories', [])}
        self.cat_names = {c: by_cat.get(c, str(c)) for c in cat_ids}
        self.reset()

    def reset(self) -> None:
        self.results: List[dict] = []
        self.segm_results: List[dict] = []
        self.has_masks = False
        self.stats = np.zeros(len(STAT_NAMES))
        self.segm_stats: Optional[np.ndarray] = None
        self.per_class: List[tuple] = []
        self.segm_per_class: List[tuple] = []
        self.summary = ''
        self.segm_note = ''

    def _image_size(self, im_id: int) -> Optional[tuple]:
        img = self.coco_gt.imgs.get(im_id)
        if not img or not img.get('height') or not img.get('width'):
            return None
        return int(img['height']), int(img['width'])

    def update(self, inputs: Mapping, outputs: Mapping) -> None:
        bbox, nums, ids = _np(outputs['bbox']), _np(outputs['bbox_num']), _np(inputs['im_id'])
        self.results.extend(detections_to_coco(bbox, nums, ids, self.clsid2catid))
        if outputs.get('mask') is not None:
            self.has_masks = True
            self.segm_results.extend(masks_to_coco(bbox, nums, _np(outputs['mask']), ids,
                                                   self.clsid2catid, self._image_size))

    def _gt_without_segmentation(self) -> int:
        return sum(1 for a in self.coco_gt.dataset.get('annotations', [])
                   if not a.get('segmentation'))

    def accumulate(self) -> None:
        self.stats, self.per_class, self.summary = evaluate_coco(
            self.coco_gt, self.results, 'bbox', self.cat_names)
        if not self.has_masks:
            return
        missing = self._gt_without_segmentation()
        if missing:
            self.segm_note = (f'segm AP not computed: {missing} annotations in '
                              f'{self.anno_name} have no segmentation (boxes only)')
            return
        self.segm_stats, self.segm_per_class, segm_summary = evaluate_coco(
            self.coco_gt, self.segm_results, 'segm', self.cat_names)
        self.summary += segm_summary

    def result(self) -> Dict[str, List[float]]:
        out = {'bbox': [float(s) for s in self.stats]}
        if self.segm_stats is not None:
            out['segm'] = [float(s) for s in self.segm_stats]
        return out

    @staticmethod
    def _table(kind: str, stats: np.ndarray, rows: List[tuple]) -> str:
        title = (f'COCO {kind} AP per class (all classes: AP {100 * stats[0]:.2f}, '
                 f'AP50 {100 * stats[1]:.2f})')
        return render_ap_table([r[0] for r in rows], {'AP': [r[1] for r in rows],
                                                      'AP50': [r[2] for r in rows]},
                               title=title)

    def per_class_table(self) -> str:
        """The bbox table and, for mask models, the segm table (or why it is missing)."""
        text = self._table('bbox', self.stats, self.per_class)
        if self.segm_stats is not None:
            text += '\n' + self._table('segm', self.segm_stats, self.segm_per_class)
        if self.segm_note:
            text += '\n' + self.segm_note
        return text
