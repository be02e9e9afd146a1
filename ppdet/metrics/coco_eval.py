"""COCO bbox and segm evaluation through pycocotools' COCOeval (the reference implementation).

We only translate: model detections [class index, score, x1, y1, x2, y2] become COCO results
{image_id, category_id, bbox [x, y, w, h], score} via `clsid2catid` (w = x2 - x1: COCO boxes
have no `+1`), masks become {image_id, category_id, segmentation (RLE), score} (see
ppdet.metrics.masks), then COCOeval does all the matching and averaging. pycocotools' own
prints are captured and returned as text so logs stay ours.
"""
from __future__ import annotations

import contextlib
import copy
import io
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ppdet.core.errors import DatasetError

STAT_NAMES = ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl',
              'AR1', 'AR10', 'AR100', 'ARs', 'ARm', 'ARl')
IOU_TYPES = ('bbox', 'segm')


def load_coco_gt(anno: Union[str, dict]):
    """A pycocotools COCO object from a file path or an in-memory COCO dict (copied)."""
    from pycocotools.coco import COCO
    buf = io.StringIO()
    if isinstance(anno, dict):
        coco = COCO()
        coco.dataset = copy.deepcopy(anno)
        with contextlib.redirect_stdout(buf):
            coco.createIndex()
        return coco
    try:
        with contextlib.redirect_stdout(buf):
            return COCO(str(anno))
    except (OSError, ValueError) as e:
        raise DatasetError(f'{anno}: cannot load COCO annotations: {e}') from None


def default_clsid2catid(coco_gt) -> Dict[int, int]:
    """Contiguous class index -> category id, in ascending category id (PaddleDetection's rule)."""
    return {i: cat for i, cat in enumerate(sorted(coco_gt.getCatIds()))}


def detections_to_coco(bbox: np.ndarray, bbox_num: Sequence[int], im_ids: Sequence[int],
                       clsid2catid: Mapping[int, int]) -> List[dict]:
    """Batch output -> COCO result dicts. Rows with class < 0 (padding) are skipped."""
    bbox = np.asarray(bbox, np.float64).reshape(-1, 6)
    out: List[dict] = []
    start = 0
    for n, im_id in zip(np.asarray(bbox_num).reshape(-1), np.asarray(im_ids).reshape(-1)):
        for row in bbox[start:start + int(n)]:
            cls = int(row[0])
            if cls < 0:
                continue
            if cls not in clsid2catid:
                raise DatasetError(f'detection class index {cls} has no category id '
                                   f'(clsid2catid covers {sorted(clsid2catid)})')
            x1, y1, x2, y2 = (float(v) for v in row[2:6])
            out.append({'image_id': int(im_id), 'category_id': int(clsid2catid[cls]),
                        'bbox': [x1, y1, x2 - x1, y2 - y1], 'score': float(row[1])})
        start += int(n)
    return out


def _empty_results(coco_gt):
    """A result set with no detections (pycocotools' loadRes cannot take an empty list)."""
    from pycocotools.coco import COCO
    res = COCO()
    res.dataset = {'images': list(coco_gt.dataset.get('images', [])),
                   'categories': copy.deepcopy(coco_gt.dataset.get('categories', [])),
                   'annotations': []}
    with contextlib.redirect_stdout(io.StringIO()):
        res.createIndex()
    return res


def evaluate_bbox(coco_gt, results: List[dict],
                  cat_names: Optional[Mapping[int, str]] = None
                  ) -> Tuple[np.ndarray, List[Tuple[str, float, float]], str]:
    """Run COCOeval on bbox results (see `evaluate_coco`)."""
    return evaluate_coco(coco_gt, results, 'bbox', cat_names)


def evaluate_coco(coco_gt, results: List[dict], iou_type: str = 'bbox',
                  cat_names: Optional[Mapping[int, str]] = None
                  ) -> Tuple[np.ndarray, List[Tuple[str, float, float]], str]:
    """Run COCOeval on bbox results or, with iou_type 'segm', on mask results (RLE).

    Returns the 12 standard stats, per-class rows (name, AP@[.5:.95], AP@.5; nan when the
    class has no ground truth) in ascending category id, and pycocotools' printed summary.
    """
    from pycocotools.cocoeval import COCOeval
    if iou_type not in IOU_TYPES:
        raise ValueError(f'iou_type {iou_type!r}: choose one of {IOU_TYPES}')
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        dt = coco_gt.loadRes(results) if results else _empty_results(coco_gt)
        ev = COCOeval(coco_gt, dt, iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    stats = np.asarray(ev.stats, np.float64)
    precision = ev.eval['precision']            # [T, R, K, A, M]
    rows = []
    for k, cat_id in enumerate(ev.params.catIds):
        name = (cat_names or {}).get(cat_id) or coco_gt.loadCats(cat_id)[0]['name']
        rows.append((name, _mean_valid(precision[:, :, k, 0, -1]),
                     _mean_valid(precision[0, :, k, 0, -1])))
    return stats, rows, buf.getvalue()


def _mean_valid(p: np.ndarray) -> float:
    p = p[p > -1]
    return float(np.mean(p)) if p.size else float('nan')
