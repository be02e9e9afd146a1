"""Do two runs of a detector give the same detections, up to float round-off?

Two runtimes compute the same network with different kernels, so scores and boxes differ in
the last bits. After NMS that can change *which* boxes are reported, but only where a decision
was within round-off of flipping. So the comparison is strict where it can be and explicit
where it cannot:

1. Detections are paired one to one: same class, |score difference| <= score_tol, every
   coordinate within box_tol pixels.
2. A detection left unpaired must have a reason that a round-off change can flip:
   - `floor`: its score is within score_tol of the lowest score listed (threshold);
   - `cut`: the other list is full (keep_top_k rows) and its score is within score_tol of that
     list's lowest score;
   - `tie`: a same-class detection (in either list) scores within score_tol of it and
     overlaps it by more than nms_threshold, once boxes may move by box_tol (which of a near
     tie NMS keeps depends on the last bits);
   - `iou`: its overlap with a higher-scored same-class detection is within box_tol-moves of
     nms_threshold (kept in one run, suppressed in the other);
   - `cascade`: it overlaps (> nms_threshold within box_tol) an unpaired detection of the
     other list scoring at least as high (that one suppressed it there, or was absent here).
   Anything else is a real difference.
3. With `candidates` (the reference model's detections before NMS: every box it scored), an
   unpaired detection must also be one of them (same class, within the tolerances). A flipped
   NMS decision only ever reports another real candidate, whereas a box moved by a bug looks
   like a near tie with its own counterpart and would otherwise pass as one.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ['Detection', 'ImageComparison', 'compare_image', 'iou_bounds', 'detections_by_image',
           'candidate_rows']


@dataclass(frozen=True)
class Detection:
    category_id: int
    score: float
    bbox: Tuple[float, float, float, float]  # x1, y1, x2, y2


@dataclass
class ImageComparison:
    paired: int = 0
    max_score_diff: float = 0.0
    max_box_diff: float = 0.0
    explained: List[Tuple[str, str, Detection]] = field(default_factory=list)  # side, why, det
    unexplained: List[Tuple[str, Detection]] = field(default_factory=list)


def _area(b: Sequence[float], grow: float) -> float:
    return max(0.0, b[2] - b[0] + 2 * grow) * max(0.0, b[3] - b[1] + 2 * grow)


def _inter(a: Sequence[float], b: Sequence[float], grow: float) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0]) + 2 * grow
    h = min(a[3], b[3]) - max(a[1], b[1]) + 2 * grow
    return max(0.0, w) * max(0.0, h)


def iou_bounds(a: Sequence[float], b: Sequence[float], tol: float) -> Tuple[float, float]:
    """Lowest and highest IoU of a and b when every coordinate may move by up to `tol`."""
    lo_inter, hi_inter = _inter(a, b, -tol), _inter(a, b, tol)
    lo_union = _area(a, -tol) + _area(b, -tol) - hi_inter
    hi_union = _area(a, tol) + _area(b, tol) - lo_inter
    low = lo_inter / hi_union if hi_union > 0 else 0.0
    high = min(1.0, hi_inter / lo_union) if lo_union > 0 else 1.0
    return low, high


def _pair(exp: List[Detection], got: List[Detection], score_tol: float, box_tol: float,
          out: ImageComparison) -> Tuple[List[Detection], List[Detection]]:
    used = set()
    left_exp = []
    for d in sorted(exp, key=lambda x: -x.score):
        best, best_diff = None, None
        for j, g in enumerate(got):
            if j in used or g.category_id != d.category_id:
                continue
            ds = abs(g.score - d.score)
            db = float(np.max(np.abs(np.subtract(g.bbox, d.bbox))))
            if ds <= score_tol and db <= box_tol and (best_diff is None or db < best_diff[1]):
                best, best_diff = j, (ds, db)
        if best is None:
            left_exp.append(d)
            continue
        used.add(best)
        out.paired += 1
        out.max_score_diff = max(out.max_score_diff, best_diff[0])
        out.max_box_diff = max(out.max_box_diff, best_diff[1])
    return left_exp, [g for j, g in enumerate(got) if j not in used]


def _reason(d: Detection, own: List[Detection], other: List[Detection],
            other_unpaired: List[Detection], limits: Dict[str, float]) -> str:
    tol, box_tol, thr = limits['score_tol'], limits['box_tol'], limits['nms_threshold']
    if d.score <= limits['floor'] + tol:
        return 'floor'
    if other and len(other) >= limits['keep_top_k'] > 0 and \
            d.score <= min(o.score for o in other) + tol:
        return 'cut'
    for e in own + other:
        if e is d or e.category_id != d.category_id:
            continue
        low, high = iou_bounds(d.bbox, e.bbox, box_tol)
        if abs(e.score - d.score) <= tol and high > thr:
            return 'tie'
        if e.score >= d.score - tol and low <= thr < high:
            return 'iou'
    for e in other_unpaired:
        if e.category_id == d.category_id and e.score >= d.score - tol and \
                iou_bounds(d.bbox, e.bbox, box_tol)[1] > thr:
            return 'cascade'
    return ''


def _is_candidate(d: Detection, candidates: np.ndarray, score_tol: float,
                  box_tol: float) -> bool:
    """`candidates` rows: class, score, x1, y1, x2, y2."""
    hit = (candidates[:, 0] == d.category_id) & \
        (np.abs(candidates[:, 1] - d.score) <= score_tol) & \
        (np.abs(candidates[:, 2:] - np.asarray(d.bbox)).max(axis=1) <= box_tol)
    return bool(hit.any())


def compare_image(expected: List[Detection], got: List[Detection], *, score_tol: float,
                  box_tol: float, nms_threshold: float, keep_top_k: int, floor: float,
                  candidates: Optional[np.ndarray] = None) -> ImageComparison:
    """Pair `expected` with `got` and explain what stays unpaired (module docstring)."""
    out = ImageComparison()
    left_exp, left_got = _pair(expected, got, score_tol, box_tol, out)
    limits = {'score_tol': score_tol, 'box_tol': box_tol, 'nms_threshold': nms_threshold,
              'keep_top_k': keep_top_k, 'floor': floor}
    for side, items, own, other, other_left in (('expected', left_exp, expected, got, left_got),
                                                ('got', left_got, got, expected, left_exp)):
        for d in items:
            why = _reason(d, own, other, other_left, limits)
            if why and candidates is not None and \
                    not _is_candidate(d, candidates, score_tol, box_tol):
                why = ''
            if why:
                out.explained.append((side, why, d))
            else:
                out.unexplained.append((side, d))
    return out


def detections_by_image(doc: Dict) -> Dict[str, List[Detection]]:
    """detections.json (tools/infer.py or deploy/python/infer.py) -> {file name: detections}."""
    import os
    return {os.path.basename(e['file']): [Detection(int(d['category_id']), float(d['score']),
                                                    tuple(float(v) for v in d['bbox']))
                                          for d in e['detections']]
            for e in doc['images']}


def candidate_rows(boxes: np.ndarray, scores: np.ndarray, score_threshold: float,
                   background_label: int = -1) -> np.ndarray:
    """One image's pre-NMS (boxes [M, 4], scores [C, M]) as rows (class, score, box) of every
    candidate scoring above `score_threshold`."""
    scores = np.array(scores, np.float64)
    if 0 <= background_label < scores.shape[0]:
        scores[background_label] = -1.0
    cls, idx = np.nonzero(scores > score_threshold)
    return np.concatenate([cls[:, None], scores[cls, idx][:, None],
                           np.asarray(boxes, np.float64)[idx]], axis=1)
