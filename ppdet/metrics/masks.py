"""Instance masks in COCO form: binary masks <-> RLE, model masks -> COCO `segm` results.

A model's `mask` output is [N, H, W], 0/1, rows aligned with its `bbox` rows, in original-image
pixels; in a batch, H and W are those of its largest image and each image's masks sit in the
top-left corner, so they are cut (or zero-padded) to the image's own size before encoding.
RLE `counts` are decoded to str, so results can be written as JSON as they are.
"""
from __future__ import annotations

from typing import Any, Callable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = ['encode_rle', 'decode_rle', 'fit_masks', 'masks_to_coco']


def encode_rle(masks: np.ndarray) -> List[dict]:
    """[N, H, W] masks (nonzero / >= 0.5 is inside) -> N COCO RLE dicts {'size', 'counts'}."""
    from pycocotools import mask as mask_utils
    masks = np.asarray(masks)
    if masks.ndim != 3:
        raise ValueError(f'masks must be [N, H, W], got shape {masks.shape}')
    if len(masks) == 0:
        return []
    inside = masks >= 0.5 if masks.dtype.kind == 'f' else masks != 0
    rles = mask_utils.encode(np.asfortranarray(inside.transpose(1, 2, 0).astype(np.uint8)))
    return [{'size': [int(v) for v in r['size']], 'counts': r['counts'].decode('ascii')}
            for r in rles]


def decode_rle(rle: Mapping[str, Any]) -> np.ndarray:
    """A COCO RLE dict (counts as str or bytes) -> [H, W] uint8 0/1 mask."""
    from pycocotools import mask as mask_utils
    counts = rle['counts']
    if isinstance(counts, list):
        h, w = rle['size']
        return mask_utils.decode(mask_utils.frPyObjects(dict(rle), int(h), int(w)))
    raw = counts.encode('ascii') if isinstance(counts, str) else counts
    return mask_utils.decode({'size': list(rle['size']), 'counts': raw})


def fit_masks(masks: np.ndarray, height: int, width: int) -> np.ndarray:
    """[N, H, W] -> [N, height, width] uint8: cut the batch padding, or pad with zeros."""
    masks = np.asarray(masks)
    n, h, w = masks.shape
    out = np.zeros((n, int(height), int(width)), np.uint8)
    hh, ww = min(h, int(height)), min(w, int(width))
    src = masks[:, :hh, :ww]
    out[:, :hh, :ww] = (src >= 0.5) if src.dtype.kind == 'f' else (src != 0)
    return out


def masks_to_coco(bbox: np.ndarray, bbox_num: Sequence[int], masks: np.ndarray,
                  im_ids: Sequence[int], clsid2catid: Mapping[int, Any],
                  image_size: Callable[[int], Optional[Tuple[int, int]]]) -> List[dict]:
    """Batch output -> COCO segm results {image_id, category_id, segmentation, score}.

    `image_size(im_id)` gives (height, width) of the original image (None: keep the masks'
    size). Rows with class < 0 (padding) are skipped, as in `detections_to_coco`.
    """
    bbox = np.asarray(bbox, np.float64).reshape(-1, 6)
    masks = np.asarray(masks)
    if len(masks) != len(bbox):
        raise ValueError(f'mask rows ({len(masks)}) do not match bbox rows ({len(bbox)}): '
                         f'the model must return one mask per detection')
    out: List[dict] = []
    start = 0
    for n, im_id in zip(np.asarray(bbox_num).reshape(-1), np.asarray(im_ids).reshape(-1)):
        rows = bbox[start:start + int(n)]
        keep = rows[:, 0] >= 0
        size = image_size(int(im_id))
        mine = masks[start:start + int(n)][keep]
        if size is not None and len(mine):
            mine = fit_masks(mine, *size)
        for row, rle in zip(rows[keep], encode_rle(mine)):
            out.append({'image_id': int(im_id), 'category_id': clsid2catid[int(row[0])],
                        'segmentation': rle, 'score': float(row[1])})
        start += int(n)
    return out
