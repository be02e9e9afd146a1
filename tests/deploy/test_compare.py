"""Detection comparison: pairs within tolerance, explains only round-off-sensitive NMS
decisions, and reports any other difference."""
from __future__ import annotations

import numpy as np

from ppdet.deploy.compare import Detection, candidate_rows, compare_image, iou_bounds

LIMITS = dict(score_tol=1e-3, box_tol=0.5, nms_threshold=0.45, keep_top_k=3, floor=0.01)


def det(score, x1, cls=0, w=20.0):
    return Detection(cls, score, (x1, 0.0, x1 + w, 20.0))


def test_equal_within_tolerance_pairs_everything():
    a = [det(.9, 0), det(.8, 100), det(.7, 200, cls=1)]
    b = [det(.9004, 0.3), det(.8, 100), det(.7, 200.2, cls=1)]
    r = compare_image(a, b, **LIMITS)
    assert r.paired == 3 and not r.unexplained and not r.explained
    assert abs(r.max_score_diff - 4e-4) < 1e-9 and abs(r.max_box_diff - 0.3) < 1e-9


def rows(dets):
    return np.array([[d.category_id, d.score, *d.bbox] for d in dets])


def test_real_differences_are_reported():
    a = [det(.9, 0), det(.8, 100)]
    # without candidates, a box moved 1 px is indistinguishable from a near-tie NMS flip
    assert {w for _, w, _ in compare_image(a, [det(.9, 0), det(.8, 101)],
                                           **LIMITS).explained} == {'tie'}
    moved = compare_image(a, [det(.9, 0), det(.8, 101)], **LIMITS, candidates=rows(a))
    rescored = compare_image(a, [det(.9, 0), det(.75, 100)], **LIMITS)  # score off
    relabelled = compare_image(a, [det(.9, 0), det(.8, 100, cls=2)], **LIMITS)
    missing = compare_image(a, [det(.9, 0)], **LIMITS)
    for r in (moved, rescored, relabelled, missing):
        assert r.unexplained, r
    assert [side for side, _ in missing.unexplained] == ['expected']


def test_near_tie_flip_and_its_cascade_are_explained():
    # a: e1 (0.5002) kept, suppresses e2 (0.5001); e3 overlaps e2 only -> kept.
    # b: the tie went the other way: e2 kept, e1 and e3 suppressed.
    e1, e2, e3 = det(.5002, 0), det(.5001, 4), det(.3, 11)
    assert iou_bounds(e1.bbox, e2.bbox, 0)[0] > .45 and iou_bounds(e2.bbox, e3.bbox, 0)[0] > .45
    assert iou_bounds(e1.bbox, e3.bbox, 0.5)[1] < .45
    r = compare_image([e1, e3], [e2], **dict(LIMITS, keep_top_k=100),
                      candidates=rows([e1, e2, e3, det(.2, 300)]))
    why = {d.score: reason for _, reason, d in r.explained}
    assert not r.unexplained and why[e1.score] == why[e2.score] == 'tie'
    assert why[e3.score] in ('cascade', 'iou')  # both hold: e2 suppressed it near threshold
    far = compare_image([e1, det(.3, 60)], [e2], **dict(LIMITS, keep_top_k=100),
                        candidates=rows([e1, e2, det(.3, 60)]))
    assert [d.score for _, d in far.unexplained] == [.3]  # not near any decision


def test_keep_top_k_cut_and_score_floor_are_explained():
    a = [det(.9, 0), det(.8, 100), det(.5002, 200)]
    b = [det(.9, 0), det(.8, 100), det(.5001, 300)]  # a different box at the 3-row cut
    r = compare_image(a, b, **LIMITS)
    assert not r.unexplained and {w for _, w, _ in r.explained} == {'cut'}
    r = compare_image([det(.9, 0), det(.0105, 50)], [det(.9, 0)], **LIMITS)
    assert not r.unexplained and r.explained[0][1] == 'floor'


def test_iou_bounds_contain_every_moved_overlap():
    a, b = (0., 0., 10., 10.), (5., 0., 15., 10.)
    low, high = iou_bounds(a, b, 0.5)
    assert low < 1 / 3 < high  # the unmoved IoU
    # shrunk by 0.5: 4 x 9 overlap in a union of two 11 x 11 boxes; grown: 6 x 11 in 9 x 9 ones
    assert abs(low - 36 / (121 + 121 - 36)) < 1e-9 and abs(high - 66 / (81 + 81 - 66)) < 1e-9


def test_candidate_rows_list_every_scored_box_but_background():
    boxes = np.array([[0, 0, 1, 1], [2, 2, 3, 3]], 'float32')
    scores = np.array([[.5, .001], [.2, .3], [.9, .9]], 'float32')  # class 2: background
    got = candidate_rows(boxes, scores, 0.01, background_label=2)
    assert got[:, :2].round(3).tolist() == [[0, .5], [1, .2], [1, .3]]
    assert got[2, 2:].tolist() == [2, 2, 3, 3]
