"""Draw detections with their class names onto images."""
from __future__ import annotations

from typing import List, Sequence, Tuple

import cv2
import numpy as np

__all__ = ['draw_detections', 'class_color']


def class_color(label: int) -> Tuple[int, int, int]:
    """A stable, well-separated BGR colour per class id (golden-angle hue steps)."""
    hue = int((label * 137.508) % 180)
    hsv = np.uint8([[[hue, 200, 255]]])
    b, g, r = cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]
    return int(b), int(g), int(r)


def draw_detections(image_bgr: np.ndarray, dets: np.ndarray, class_names: Sequence[str],
                    threshold: float = 0.5) -> Tuple[np.ndarray, List[dict]]:
    """Return a copy of the image with boxes drawn, and the drawn detections as dicts.

    `dets` rows are [class_id, score, x1, y1, x2, y2] in this image's pixels.
    """
    canvas = image_bgr.copy()
    h, w = canvas.shape[:2]
    thickness = max(1, int(round(min(h, w) / 300)))
    drawn: List[dict] = []
    for row in np.asarray(dets).reshape(-1, 6):
        cls, score = int(row[0]), float(row[1])
        if cls < 0 or score < threshold:
            continue
        x1, y1, x2, y2 = [float(v) for v in row[2:]]
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
        drawn.append({'category_id': cls, 'category': name, 'score': round(score, 5),
                      'bbox_xyxy': [round(v, 2) for v in (x1, y1, x2, y2)]})
    return canvas, drawn
