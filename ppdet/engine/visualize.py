"""Draw detections (and instance masks) with their class names onto images."""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

__all__ = ['draw_detections', 'class_color', 'MASK_ALPHA']

MASK_ALPHA = 0.45  # share of the class colour in a mask pixel: the cell stays visible under it


def class_color(label: int) -> Tuple[int, int, int]:
    """A stable, well-separated BGR colour per class id (golden-angle hue steps)."""
    hue = int((label * 137.508) % 180)
    hsv = np.uint8([[[hue, 200, 255]]])
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def _fill_mask(canvas: np.ndarray, mask: np.ndarray, color: Tuple[int, int, int]) -> None:
    """Blend `color` into the pixels of `mask` (cut or padded to the canvas) and outline it."""
    h, w = canvas.shape[:2]
    m = np.zeros((h, w), np.uint8)
    mh, mw = min(h, mask.shape[0]), min(w, mask.shape[1])
    m[:mh, :mw] = mask[:mh, :mw] != 0
    inside = m.astype(bool)
    if not inside.any():
        return
    tint = np.asarray(color, np.float32)
    canvas[inside] = (canvas[inside].astype(np.float32) * (1.0 - MASK_ALPHA)
                      + tint * MASK_ALPHA + 0.5).astype(np.uint8)
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(canvas, contours, -1, color, 1, cv2.LINE_AA)


def draw_detections(image_bgr: np.ndarray, dets: np.ndarray, class_names: Sequence[str],
                    threshold: float = 0.5, masks: Optional[np.ndarray] = None
                    ) -> Tuple[np.ndarray, List[dict]]:
    """Return a copy of the image with boxes drawn, and the drawn detections as dicts.

    `dets` rows are [class_id, score, x1, y1, x2, y2] in this image's pixels. `masks`
    ([N, H, W] 0/1, rows aligned with `dets`; mask models only) are filled semi-transparently
    in the class colour under the boxes, and each drawn dict then carries its mask as COCO
    RLE (`segmentation`: {'size': [H, W], 'counts': str}).
    """
    canvas = image_bgr.copy()
    h, w = canvas.shape[:2]
    thickness = max(1, int(round(min(h, w) / 300)))
    rows = np.asarray(dets).reshape(-1, 6)
    if masks is not None and len(masks) != len(rows):
        raise ValueError(f'{len(masks)} masks for {len(rows)} detections: one mask per row')
    shown = [i for i, row in enumerate(rows) if int(row[0]) >= 0 and float(row[1]) >= threshold]
    rles: List[dict] = []
    if masks is not None:
        from ppdet.metrics.masks import encode_rle, fit_masks
        kept = fit_masks(np.asarray(masks)[shown], h, w) if shown else np.zeros((0, h, w))
        for i, m in zip(shown, kept):
            _fill_mask(canvas, m, class_color(int(rows[i][0])))
        rles = encode_rle(kept)
    drawn: List[dict] = []
    for k, i in enumerate(shown):
        cls, score = int(rows[i][0]), float(rows[i][1])
        x1, y1, x2, y2 = [float(v) for v in rows[i][2:]]
        name = class_names[cls] if cls < len(class_names) else f'class {cls}'
        color = class_color(cls)
        p1 = (int(round(x1)), int(round(y1)))
        p2 = (int(round(x2)), int(round(y2)))
        cv2.rectangle(canvas, p1, p2, color, thickness)
        label = f'{name} {score:.2f}'
        (tw, th), base = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
        ty = max(p1[1], th + base)
        cv2.rectangle(canvas, (p1[0], ty - th - base), (p1[0] + tw, ty), color, -1)
        cv2.putText(canvas, label, (p1[0], ty - base), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    (0, 0, 0), 1, cv2.LINE_AA)
        item = {'category_id': cls, 'category': name, 'score': round(score, 5),
                'bbox_xyxy': [round(v, 2) for v in (x1, y1, x2, y2)]}
        if masks is not None:
            item['segmentation'] = rles[k]
        drawn.append(item)
    return canvas, drawn
