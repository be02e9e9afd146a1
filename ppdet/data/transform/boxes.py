"""Box-format operators used by YOLO-style pipelines: normalise, convert, pad to a fixed count."""
from __future__ import annotations


import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.data.polygon import scale_polygons
from ppdet.data.transform.base import BaseOperator, Sample

__all__ = ['NormalizeBox', 'BboxXYXY2XYWH', 'PadBox']


@register
class NormalizeBox(BaseOperator):
    """Divide gt_bbox by the image size (HWC image): pixel xyxy -> [0, 1] xyxy; polygons
    (gt_poly) alike, so they stay in the units of their boxes."""

    def __init__(self) -> None:
        pass

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        h, w = sample['image'].shape[:2]
        if 'gt_bbox' in sample:
            sample['gt_bbox'] = (sample['gt_bbox'] / np.array([w, h, w, h], np.float32)
                                 ).astype(np.float32)
        if sample.get('gt_poly'):
            sample['gt_poly'] = scale_polygons(sample['gt_poly'], 1.0 / w, 1.0 / h, 1.0, 1.0)
        return sample


@register
class BboxXYXY2XYWH(BaseOperator):
    """x1, y1, x2, y2 -> centre x, centre y, width, height (same units)."""

    def __init__(self) -> None:
        pass

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        b = sample.get('gt_bbox')
        if b is not None and len(b):
            out = np.empty_like(b)
            out[:, 2:] = b[:, 2:] - b[:, :2]
            out[:, :2] = b[:, :2] + out[:, 2:] / 2
            sample['gt_bbox'] = out
        return sample


@register
class PadBox(BaseOperator):
    """Pad (or cut) the boxes to num_max_boxes so a batch stacks into fixed-shape arrays.

    After PadBox, gt_bbox is [num_max_boxes, 4] and gt_class, gt_score, is_crowd, difficult are
    [num_max_boxes] (flattened, as PaddleDetection's YOLO loss reads them); padding is zero.
    Boxes beyond num_max_boxes are cut and counted in sample['num_cut_boxes'].
    """

    def __init__(self, num_max_boxes: int = 50) -> None:
        self.num_max_boxes = num_max_boxes

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        if 'gt_poly' in sample:
            raise ConfigError('PadBox pads boxes to a fixed count, but polygons (gt_poly) '
                              'cannot be padded along: remove PadBox from the reader, or '
                              'gt_poly from the dataset\'s data_fields')
        m = self.num_max_boxes
        box = sample.get('gt_bbox', np.zeros((0, 4), np.float32))
        n = min(m, len(box))
        sample['num_cut_boxes'] = np.int32(len(box) - n)
        out = np.zeros((m, 4), np.float32)
        out[:n] = box[:n]
        sample['gt_bbox'] = out
        for key, dtype in (('gt_class', np.int32), ('gt_score', np.float32),
                           ('is_crowd', np.int32), ('difficult', np.int32)):
            if key in sample:
                v = np.zeros(m, dtype)
                v[:n] = np.asarray(sample[key]).reshape(-1)[:n]
                sample[key] = v
        return sample
