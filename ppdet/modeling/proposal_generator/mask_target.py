"""Mask R-CNN's training targets: each foreground RoI's ground-truth polygons, rasterised into a
`resolution` x `resolution` grid laid over the RoI.

The polygons come as the readers give them (`gt_poly`: per image, one entry per object aligned
with `gt_bbox`, each a list of flat [x1, y1, x2, y2, ...] polygons in input pixels). For an RoI
(x0, y0, x1, y1) the points become ((x - x0) * R / max(w, 0.1), (y - y0) * R / max(h, 0.1));
pycocotools rasterises them (the polygons of one object are merged) — PaddleDetection's
procedure and arithmetic, so the targets agree pixel for pixel.

Only foreground RoIs (class in 0..C-1) get a target. An image without any keeps one RoI with
weight 0, so the loss stays defined (its target is irrelevant). Crowd objects are never the
match of a foreground RoI (the box assigner excludes them), so their regions are never used.
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import numpy as np
import paddle

from ppdet.core.errors import DatasetError
from ppdet.core.workspace import register

__all__ = ['rasterize_polygons_within_box', 'generate_mask_target', 'MaskAssigner']


def _checked_polygons(polygons: Any, where: str) -> List[np.ndarray]:
    if isinstance(polygons, np.ndarray) and polygons.ndim == 1:
        polygons = [polygons]
    if not isinstance(polygons, (list, tuple)) or not polygons:
        raise DatasetError(f'{where}: expected a non-empty list of polygons [x1, y1, x2, y2, '
                           f'...], got {type(polygons).__name__}; mark the object is_crowd or '
                           f'give it a polygon')
    out = []
    for p in polygons:
        arr = np.array(p, dtype=np.float64).reshape(-1)
        if arr.size < 6 or arr.size % 2:
            raise DatasetError(f'{where}: a polygon needs at least 3 (x, y) points, got '
                               f'{arr.size} numbers; fix or drop that polygon in the dataset')
        out.append(arr)
    return out


def _box_rle(polygons: Sequence[Any], box: np.ndarray, resolution: int, where: str):
    """pycocotools RLE of the union of `polygons` seen through `box` on the R x R grid."""
    from pycocotools import mask as mask_util
    polys = _checked_polygons(polygons, where)
    box = np.asarray(box, dtype=np.float32)
    w, h = box[2] - box[0], box[3] - box[1]
    ratio_w = resolution / max(w, 0.1)
    ratio_h = resolution / max(h, 0.1)
    for p in polys:
        p[0::2] = (p[0::2] - box[0]) * ratio_w
        p[1::2] = (p[1::2] - box[1]) * ratio_h
    return mask_util.merge(mask_util.frPyObjects(polys, resolution, resolution))


def rasterize_polygons_within_box(polygons: Sequence[Any], box: np.ndarray,
                                  resolution: int, where: str = 'gt_poly') -> np.ndarray:
    """Bool mask [resolution, resolution] of the union of `polygons` seen through `box`."""
    from pycocotools import mask as mask_util
    return mask_util.decode(_box_rle(polygons, box, resolution, where)).astype(bool)


def _rasterize_all(objects: Sequence[Sequence[Any]], boxes: np.ndarray, resolution: int,
                   wheres: Sequence[str]) -> np.ndarray:
    """[N, R, R] bool: object i's polygons through boxes[i] (one pycocotools decode call)."""
    from pycocotools import mask as mask_util
    rles = [_box_rle(p, b, resolution, w) for p, b, w in zip(objects, boxes, wheres)]
    return mask_util.decode(rles).astype(bool).transpose(2, 0, 1)


def _foreground(labels: paddle.Tensor, num_classes: int) -> paddle.Tensor:
    fg = paddle.logical_and(labels != -1, labels != num_classes)
    return paddle.nonzero(fg).flatten()


def _image_targets(polys, rois, labels, gt_inds, num_classes, resolution, image):
    """(fg indices, fg rois, classes, masks [M, R, R] int32, weights) of one image."""
    fg = _foreground(labels, num_classes)
    has_fg = fg.shape[0] > 0
    if not has_fg:
        fg = paddle.zeros([1], dtype='int64')
    fg_rois = paddle.gather(rois, fg)
    if has_fg:
        boxes = fg_rois.numpy()
        matched = paddle.gather(gt_inds, fg).numpy().reshape(-1)
        masks = _rasterize_all([polys[g] for g in matched], boxes, resolution,
                               [f'gt_poly of image {image}, object {int(g)}' for g in matched])
        classes = paddle.gather(labels, fg).cast('int32')
        weights = paddle.ones([fg.shape[0]], dtype='float32')
    else:
        masks = np.zeros([1, resolution, resolution], dtype=bool)
        classes = paddle.zeros([1], dtype='int32')
        weights = paddle.zeros([1], dtype='float32')
    return fg, fg_rois, classes, paddle.to_tensor(masks.astype('int32')), weights


def generate_mask_target(gt_polys: Sequence[Sequence[Any]], rois: Sequence[paddle.Tensor],
                         labels: Sequence[paddle.Tensor], gt_inds: Sequence[paddle.Tensor],
                         num_classes: int, resolution: int):
    """Per batch: foreground RoIs per image, their count per image, classes [M], masks
    [M, R, R] int32, their rows among all sampled RoIs [M] (to reuse the box head's
    features) and loss weights [M]."""
    mask_rois, counts, classes, masks, index, weights = [], [], [], [], [], []
    offset = 0
    for k, rois_k in enumerate(rois):
        fg, fg_rois, cls, mask, weight = _image_targets(
            gt_polys[k], rois_k, labels[k].reshape([-1]), gt_inds[k].reshape([-1]),
            num_classes, resolution, k)
        for t in (fg_rois, mask):
            t.stop_gradient = True
        mask_rois.append(fg_rois)
        counts.append(int(fg_rois.shape[0]))
        classes.append(cls)
        masks.append(mask)
        index.append(fg.cast('int64') + offset)
        weights.append(weight)
        offset += int(rois_k.shape[0])
    return (mask_rois, paddle.to_tensor(counts, dtype='int32'), paddle.concat(classes),
            paddle.concat(masks), paddle.concat(index), paddle.concat(weights))


@register
class MaskAssigner:
    """Mask targets of the foreground RoIs the box assigner sampled (module docstring)."""
    __shared__ = ['num_classes', 'mask_resolution']

    def __init__(self, num_classes: int = 80, mask_resolution: int = 14):
        self.num_classes = num_classes
        self.mask_resolution = mask_resolution

    def __call__(self, rois: Sequence[paddle.Tensor], labels: Sequence[paddle.Tensor],
                 gt_inds: Sequence[paddle.Tensor], inputs: Dict[str, Any]) -> Tuple:
        if inputs.get('gt_poly') is None:
            raise DatasetError("Mask R-CNN training needs the object polygons: add 'gt_poly' "
                               "to TrainDataset.data_fields (e.g. ['image', 'gt_bbox', "
                               "'gt_class', 'gt_poly', 'is_crowd'])")
        return generate_mask_target(inputs['gt_poly'], rois, labels, gt_inds,
                                    self.num_classes, self.mask_resolution)
