"""Exact, early-stopping replacement for Paddle's CPU `multiclass_nms3` when `keep_top_k > -1`.

The kernel runs a full greedy NMS for every class over up to `nms_top_k` candidates, then keeps
only the `keep_top_k` best survivors. Most of that work is thrown away. This module gives the
same output (same rows, order, values, per-image counts and index output), computing only
what the final cut can keep.

Why it is exact. These are the kernel's semantics (Paddle CPU `multiclass_nms3`, [B, C, M] scores):

1. Per class c (other than `background_label`), candidates with `score > score_threshold`
   (float32 compare) are ranked by score, descending, with a stable sort: ties go to the lower
   candidate index. Only the first `nms_top_k` are kept (when `nms_top_k > -1`).
2. Greedy NMS in rank order: a candidate is kept iff its overlap with every box already kept for
   the class is `<= nms_threshold` (float32). With `nms_eta >= 1` the threshold never changes.
3. If more than `keep_top_k` boxes survive over all classes, the survivors, listed class by class
   (ascending) in selection order, are stable-sorted by score, descending, and cut to `keep_top_k`.
4. Output: classes ascending; within a class, in selection order.

The survival of a candidate in (2) depends only on the higher-ranked candidates of its own class.
Now visit every candidate of every class in the global order (-score, class, index). Restricted to
one class, that is exactly the class's rank order in (1). So a class's rank of a candidate is the
number of its class's candidates visited before it. The greedy decision for it is fully known when
it is visited. The stable sort in (3) orders survivors by (-score, class, rank within class), which
is the same global order. So the `keep_top_k` rows kept by (3) are the first `keep_top_k` survivors
met in the global visit. The visit can stop there, and nothing after that point can change the
result. When fewer survive, the visit covers everything, as the kernel does.

The global order is produced in chunks of decreasing score (all values in [t, upper) at once, so
ties never straddle a chunk). Inside a chunk each class runs its greedy loop on its own
candidates, after they are first checked against the boxes that the class kept in earlier chunks.
Classes are visited by their best candidate; each stops after as many survivors as the output
still needs, and a class whose best candidate comes after `need` survivors is not run at all.
Then the chunk's survivors are merged back in global order and cut.

The overlap is computed as the kernel's JaccardOverlap does, in float32 and in the same order of
operations. Disjoint boxes (`b.x1 > a.x2 or b.x2 < a.x1 or b.y1 > a.y2 or b.y2 < a.y1`) have
overlap 0. Otherwise the overlap is `iw*ih / ((area_a + area_b) - iw*ih)`, with
`iw = min(x2) - max(x1)` (`+ 1` when not normalized) and the same for ih. The area is 0 for an
inverted box, else `w*h`, or `(w+1)*(h+1)` when not normalized. All these steps are symmetric in
the two boxes, so argument order does not matter. NaN coordinates are the one case where min/max
conventions could differ, so boxes with NaN use the kernel.

Everything that is not covered here uses the kernel (see `fast_path_supported`).
Set PPDET_FAST_NMS=0 to always use it.
"""
from __future__ import annotations

import os
from typing import List, NamedTuple, Optional, Tuple

import numpy as np

__all__ = ['fast_multiclass_nms_numpy', 'fast_path_supported', 'fast_nms_enabled']

_MIN_CHUNK = 256
_SAMPLE_STEP = 16


def fast_nms_enabled() -> bool:
    return os.environ.get('PPDET_FAST_NMS', '1') not in ('0', 'false', 'False', '')


def fast_path_supported(bboxes, scores, rois_num, keep_top_k: int, nms_eta: float) -> bool:
    """True when `fast_multiclass_nms_numpy` reproduces the kernel exactly for these inputs."""
    import paddle
    if not fast_nms_enabled() or not paddle.in_dynamic_mode():
        return False
    if rois_num is not None or int(keep_top_k) <= -1 or not float(nms_eta) >= 1.0:
        return False
    if not (isinstance(bboxes, paddle.Tensor) and isinstance(scores, paddle.Tensor)):
        return False
    if len(bboxes.shape) != 3 or len(scores.shape) != 3 or bboxes.shape[2] != 4:
        return False
    if bboxes.shape[0] != scores.shape[0] or bboxes.shape[1] != scores.shape[2]:
        return False
    if bboxes.dtype != paddle.float32 or scores.dtype != paddle.float32:
        return False
    try:
        return bool(bboxes.place.is_cpu_place() and scores.place.is_cpu_place())
    except AttributeError:
        return False


def _areas(x1, y1, x2, y2, one: Optional[np.float32]) -> np.ndarray:
    """The kernel's BBoxArea: 0 for an inverted box, else w*h or (w+1)*(h+1)."""
    w = x2 - x1
    h = y2 - y1
    if one is not None:
        w = w + one
        h = h + one
    area = w * h
    area[(x2 < x1) | (y2 < y1)] = np.float32(0)
    return area


def _suppressed(ax1, ay1, ax2, ay2, aa, bx1, by1, bx2, by2, ba, thr, one):
    """True where the overlap of box a with box b exceeds `thr` (or is NaN), as in the kernel.

    Broadcasts; all inputs are float32.
    """
    iw = np.minimum(ax2, bx2) - np.maximum(ax1, bx1)
    ih = np.minimum(ay2, by2) - np.maximum(ay1, by1)
    if one is not None:
        iw = iw + one
        ih = ih + one
    inter = iw * ih
    ov = inter / ((aa + ba) - inter)
    disjoint = (bx1 > ax2) | (bx2 < ax1) | (by1 > ay2) | (by2 < ay1)
    # keep  <=>  overlap <= thr, with overlap 0 for disjoint boxes; NaN overlap suppresses
    keep = np.where(disjoint, np.float32(0) <= thr, ov <= thr)
    return ~keep


class _ClassKept:
    """Columns of the boxes one class has kept so far (float32 arrays)."""
    __slots__ = ('cols',)

    def __init__(self):
        self.cols = None

    def add(self, cols):
        if self.cols is None:
            self.cols = [c.copy() for c in cols]
        else:
            self.cols = [np.concatenate([a, b]) for a, b in zip(self.cols, cols)]


def _drop_suppressed_by_earlier(cols, pos, kept: _ClassKept, thr, one):
    """The candidates (`cols`, chunk positions `pos`) that no box the class kept in an earlier
    chunk suppresses."""
    if kept.cols is None:
        return cols, pos
    x1, y1, x2, y2, ar = cols
    kx1, ky1, kx2, ky2, ka = kept.cols
    sup = _suppressed(x1[:, None], y1[:, None], x2[:, None], y2[:, None], ar[:, None],
                      kx1[None], ky1[None], kx2[None], ky2[None], ka[None], thr, one)
    alive = ~sup.any(axis=1)
    if alive.all():
        return cols, pos
    return tuple(c[alive] for c in cols), pos[alive]


def _kept_by_first(first, rest, thr, one, plain: bool, zero_ok: bool) -> np.ndarray:
    """Which of `rest` (columns x1, y1, x2, y2, area) survive the box `first`."""
    ax1, ay1, ax2, ay2, aa = first
    bx1, by1, bx2, by2, ba = rest
    if not plain:
        return ~_suppressed(ax1, ay1, ax2, ay2, aa, bx1, by1, bx2, by2, ba, thr, one)
    iw = np.minimum(ax2, bx2) - np.maximum(ax1, bx1)
    ih = np.minimum(ay2, by2) - np.maximum(ay1, by1)
    disjoint = (iw < 0) | (ih < 0)
    if one is not None:
        iw += one
        ih += one
    inter = iw * ih
    ov = inter / ((aa + ba) - inter)
    keep = ov <= thr
    if zero_ok:
        keep |= disjoint
    else:
        keep &= ~disjoint
    return keep


def _greedy(cols, pos, kept: _ClassKept, need: int, thr, one) -> List[int]:
    """Greedy NMS of one class's chunk candidates (in rank order) after its earlier kept boxes.

    `cols` = (x1, y1, x2, y2, area) of the candidates. Returns the chunk positions of at most
    `need` survivors, in order.
    """
    cols, pos = _drop_suppressed_by_earlier(cols, pos, kept, thr, one)
    out: List[int] = []
    if not pos.size:
        return out
    x1, y1, x2, y2, _ = cols
    cols = np.stack(cols)
    # Without inverted boxes (x2 < x1 or y2 < y1), "disjoint" in the kernel's sense is exactly
    # "min(x2) - max(x1) < 0 or min(y2) - max(y1) < 0" (a float difference is < 0 iff a < b).
    plain = not ((x2 < x1).any() or (y2 < y1).any())
    zero_ok = bool(np.float32(0) <= thr)  # the kernel keeps disjoint boxes iff 0 <= thr
    while True:
        out.append(int(pos[0]))
        if len(out) >= need or pos.size == 1:
            break
        rest = cols[:, 1:]
        keep = _kept_by_first(cols[:, 0], rest, thr, one, plain, zero_ok)
        pos = pos[1:]
        if keep.all():
            cols = rest
        else:
            cols = rest[:, keep]
            pos = pos[keep]
            if not pos.size:
                break
    return out


class _Settings(NamedTuple):
    """The kernel's thresholds as it compares them (float32), and the two cuts."""
    score_threshold: np.float32
    nms_threshold: np.float32
    one: Optional[np.float32]  # 1 added to widths and heights when boxes are not normalized
    nms_top_k: int
    keep_top_k: int


class _Chunk(NamedTuple):
    """One slice of the global visit order (-score, class, index).

    `ids` are the flat candidate ids c*M+i, ascending, so grouped by class; `order` sorts them
    into visit order and `pos` is its inverse (each candidate's place in the visit). Per class
    present in the chunk: `present` its class id, `starts` its first index into `ids`, `first`
    its earliest visit position; `counts` holds every class's number of candidates.
    """
    ids: np.ndarray
    order: np.ndarray
    pos: np.ndarray
    present: np.ndarray
    starts: np.ndarray
    counts: np.ndarray
    first: np.ndarray


def _next_chunk(flat: np.ndarray, sample: np.ndarray, thr_s, upper, target: int):
    """Every unvisited candidate with score in [t, upper), `t` read from a sample of the scores
    so that about `target` candidates fall in. Returns (ids, t, last): `t` is the next chunk's
    upper bound; `last` when the chunk reaches down to the score threshold."""
    smask = sample > thr_s
    if upper is not None:
        smask &= sample < upper
    srest = sample[smask]
    k = -(-target // _SAMPLE_STEP)
    if srest.size > k:
        t = np.partition(srest, srest.size - k)[srest.size - k]
        mask = flat >= t
        mask &= flat > thr_s
        last = False
    else:
        t = None
        mask = flat > thr_s
        last = True
    if upper is not None:
        mask &= flat < upper
    return np.flatnonzero(mask), t, last


def _chunk_layout(ids: np.ndarray, flat: np.ndarray, C: int, M: int) -> _Chunk:
    order = np.argsort(-flat[ids], kind='stable')  # stable: ties by id, i.e. by (c, i)
    pos = np.empty(ids.size, np.int64)
    pos[order] = np.arange(ids.size)
    bounds = np.searchsorted(ids, np.arange(C + 1) * M)
    counts = np.diff(bounds)
    present = np.flatnonzero(counts)
    starts = bounds[present]
    first = np.minimum.reduceat(pos, starts)
    return _Chunk(ids, order, pos, present, starts, counts, first)


def _class_candidates(chunk: _Chunk, j: int, seen_c: int, boxes: np.ndarray, M: int,
                      s: _Settings):
    """(box columns, chunk positions) of the `j`-th present class's candidates in its rank
    order, cut where its rank reaches `nms_top_k`; None when nothing is left."""
    c = int(chunk.present[j])
    s0 = int(chunk.starts[j])
    p = np.sort(chunk.pos[s0:s0 + chunk.counts[c]])  # the class's rank order
    if s.nms_top_k > -1:
        p = p[:max(0, s.nms_top_k - seen_c)]  # class rank < nms_top_k
        if not p.size:
            return None
    bx = boxes[chunk.ids[chunk.order[p]] - c * M]
    x1, y1, x2, y2 = bx[:, 0], bx[:, 1], bx[:, 2], bx[:, 3]
    return (x1, y1, x2, y2, _areas(x1, y1, x2, y2, s.one)), p


def _chunk_survivors(chunk: _Chunk, need: int, kept: List[_ClassKept], seen: np.ndarray,
                     boxes: np.ndarray, M: int, s: _Settings):
    """Greedy NMS of each class in the chunk, classes in order of their first candidate.

    Returns (survivor positions, {class: (its survivors, its columns, its positions)}). Once
    `need` survivors lie before the next class's first candidate, no later class can reach the
    output, so the visit stops there.
    """
    surv: List[int] = []
    pending = {}
    for j in np.argsort(chunk.first, kind='stable').tolist():
        f = int(chunk.first[j])
        if len(surv) >= need and sum(1 for q in surv if q < f) >= need:
            break
        c = int(chunk.present[j])
        candidates = _class_candidates(chunk, j, int(seen[c]), boxes, M, s)
        if candidates is None:
            continue
        cols, p = candidates
        got = _greedy(cols, p, kept[c], need, s.nms_threshold, s.one)
        if got:
            pending[c] = (got, cols, p)
            surv.extend(got)
    return surv, pending


def _remember_kept(cut: int, pending, kept: List[_ClassKept]) -> None:
    """Add each class's survivors up to visit position `cut` (the global cut) to its kept boxes,
    against which its candidates in later chunks are checked."""
    for c, (got, cols, p) in pending.items():
        n_in = sum(1 for q in got if q <= cut)
        if n_in:
            # p (the class's chunk positions) is ascending, and so is got
            rows = np.searchsorted(p, got[:n_in])
            kept[c].add(tuple(col[rows] for col in cols))


def _visit(boxes: np.ndarray, flat: np.ndarray, C: int, M: int, s: _Settings) -> np.ndarray:
    """Flat ids of the selected candidates, in global visit order (module docstring)."""
    seen = np.zeros(C, np.int64)  # candidates of each class visited in earlier chunks
    kept = [_ClassKept() for _ in range(C)]
    selected: List[np.ndarray] = []
    n_sel = 0
    upper = None  # exclusive score bound of what is still unvisited
    target = max(_MIN_CHUNK, 4 * s.keep_top_k)
    sample = flat[::_SAMPLE_STEP]
    while n_sel < s.keep_top_k:
        ids, upper, last = _next_chunk(flat, sample, s.score_threshold, upper, target)
        if ids.size:
            chunk = _chunk_layout(ids, flat, C, M)
            need = s.keep_top_k - n_sel
            surv, pending = _chunk_survivors(chunk, need, kept, seen, boxes, M, s)
            seen += chunk.counts
            if surv:
                surv_arr = np.sort(np.asarray(surv, np.int64))[:need]
                _remember_kept(int(surv_arr[-1]), pending, kept)
                selected.append(ids[chunk.order[surv_arr]])
                n_sel += surv_arr.size
                # size the next chunk from the survival rate seen so far
                rate = surv_arr.size / max(ids.size, 1)
                target = int(min(max(_MIN_CHUNK, 1.5 * (s.keep_top_k - n_sel) / max(rate, 1e-3)),
                                 8 * target))
            else:
                target = 4 * target
        if last:
            break
    return np.concatenate(selected) if selected else np.zeros(0, np.int64)


def _nms_one_image(boxes: np.ndarray, scores: np.ndarray, score_threshold: float, nms_top_k: int,
                   keep_top_k: int, nms_threshold: float, normalized: bool,
                   background_label: int) -> Tuple[np.ndarray, np.ndarray]:
    """boxes [M, 4], scores [C, M] float32 -> (flat candidate ids c*M+i in output order, class)."""
    C, M = scores.shape
    empty = np.zeros(0, np.int64)
    if keep_top_k <= 0 or nms_top_k == 0 or C == 0 or M == 0:
        return empty, empty
    settings = _Settings(np.float32(score_threshold), np.float32(nms_threshold),
                         None if normalized else np.float32(1), nms_top_k, keep_top_k)
    if 0 <= background_label < C:
        scores = scores.copy()
        scores[background_label] = np.nan  # never `> threshold`
    with np.errstate(invalid='ignore', divide='ignore', over='ignore'):
        sel = _visit(boxes, scores.reshape(-1), C, M, settings)
    if not sel.size:
        return empty, empty
    cls = sel // M
    order = np.argsort(cls, kind='stable')  # classes ascending, selection order within
    return sel[order], cls[order]


def fast_multiclass_nms_numpy(boxes: np.ndarray, scores: np.ndarray, score_threshold: float,
                              nms_top_k: int, keep_top_k: int, nms_threshold: float = 0.3,
                              normalized: bool = True, background_label: int = -1
                              ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`multiclass_nms3` for boxes [B, M, 4] and scores [B, C, M] (float32), `keep_top_k >= 0`,
    `nms_eta >= 1`, no NaN boxes. Returns (out [N, 6] float32, index [N, 1] int32, num [B] int32).
    """
    B, M, _ = boxes.shape
    outs, idxs, nums = [], [], []
    for b in range(B):
        ids, cls = _nms_one_image(boxes[b], scores[b], score_threshold, int(nms_top_k),
                                  int(keep_top_k), nms_threshold, bool(normalized),
                                  int(background_label))
        bi = ids - cls * M
        o = np.empty((ids.size, 6), np.float32)
        o[:, 0] = cls
        o[:, 1] = scores[b].reshape(-1)[ids]
        o[:, 2:] = boxes[b][bi]
        outs.append(o)
        idxs.append((bi + b * M).astype(np.int32))
        nums.append(ids.size)
    out = np.concatenate(outs) if outs else np.zeros((0, 6), np.float32)
    index = (np.concatenate(idxs) if idxs else np.zeros(0, np.int32)).reshape(-1, 1)
    return out, index, np.asarray(nums, np.int32).reshape(B)
