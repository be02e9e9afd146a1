"""VOC mAP on hand-computable cases."""
import numpy as np
import pytest

from ppdet.core.errors import ConfigError
from ppdet.metrics import VOCMetric, average_precision, pairwise_iou


def _run(metric, images):
    """images: list of (dets [N,6], gt boxes [M,4], gt classes [M], difficult [M] or None)."""
    for dets, gb, gc, diff in images:
        inputs = {'im_id': np.array([[0]]), 'gt_bbox': [np.array(gb, np.float32)],
                  'gt_class': [np.array(gc, np.int32)]}
        if diff is not None:
            inputs['difficult'] = [np.array(diff, np.int32)]
        metric.update(inputs, {'bbox': np.array(dets, np.float32).reshape(-1, 6),
                               'bbox_num': np.array([len(dets)])})
    metric.accumulate()
    return metric.result()['bbox'][0]


@pytest.mark.parametrize('mode', ['11point', 'integral', 'area'])
def test_perfect_detections_score_one(mode):
    m = VOCMetric(['a', 'b'], map_type=mode)
    imgs = [([[0, 0.9, 10, 10, 50, 60], [1, 0.8, 60, 10, 90, 40]],
             [[10, 10, 50, 60], [60, 10, 90, 40]], [0, 1], None),
            ([[1, 0.7, 0, 0, 20, 20]], [[0, 0, 20, 20]], [1], None)]
    assert _run(m, imgs) == pytest.approx(1.0)
    assert m.per_class_ap() == [pytest.approx(1.0), pytest.approx(1.0)]


@pytest.mark.parametrize('mode', ['11point', 'integral', 'area'])
def test_false_positive_ranked_above_true_positive(mode):
    # ranking: FP (0.9), TP (0.8); one positive -> precision 1/2 at recall 1 -> AP 0.5
    m = VOCMetric(['a'], map_type=mode)
    imgs = [([[0, 0.9, 100, 100, 120, 120], [0, 0.8, 10, 10, 50, 50]],
             [[10, 10, 50, 50]], [0], None)]
    assert _run(m, imgs) == pytest.approx(0.5)


def test_modes_differ_where_precision_rises_again():
    # ranking TP FP FP TP TP over 3 positives: precision 1, 1/2, 1/3, 1/2, 3/5
    tp = [1, 0, 0, 1, 1]
    fp = [1 - t for t in tp]
    assert average_precision(tp, fp, 3, '11point') == pytest.approx((4 * 1.0 + 7 * 0.6) / 11)
    assert average_precision(tp, fp, 3, 'integral') == pytest.approx(1 / 3 + 0.5 / 3 + 0.6 / 3)
    assert average_precision(tp, fp, 3, 'area') == pytest.approx(1 / 3 + 0.6 / 3 + 0.6 / 3)


def test_same_ranking_through_the_metric():
    gts = [[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]]
    dets = [[0, 0.9, 0, 0, 10, 10], [0, 0.8, 60, 60, 70, 70], [0, 0.7, 80, 80, 90, 90],
            [0, 0.6, 20, 20, 30, 30], [0, 0.5, 40, 40, 50, 50]]
    m = VOCMetric(['a'], map_type='11point')
    assert _run(m, [(dets, gts, [0, 0, 0], None)]) == pytest.approx(8.2 / 11)
    # a duplicate detection of a matched box is a false positive
    m = VOCMetric(['a'], map_type='area')
    dup = [[0, 0.9, 0, 0, 10, 10], [0, 0.8, 0, 0, 10, 10]]
    assert _run(m, [(dup, [[0, 0, 10, 10]], [0], None)]) == pytest.approx(1.0)
    assert m.detection_map.records[0] == [(pytest.approx(0.9), 1), (pytest.approx(0.8), 0)]


def test_difficult_is_ignored_unless_asked():
    gts = [[0, 0, 10, 10], [20, 20, 30, 30]]
    dets = [[0, 0.9, 20, 20, 30, 30], [0, 0.8, 0, 0, 10, 10]]   # first hits the difficult one
    m = VOCMetric(['a'])
    assert _run(m, [(dets, gts, [0, 0], [0, 1])]) == pytest.approx(1.0)
    assert m.detection_map.gt_counts == [1]
    m = VOCMetric(['a'], evaluate_difficult=True)
    assert _run(m, [(dets, gts, [0, 0], [0, 1])]) == pytest.approx(1.0)
    assert m.detection_map.gt_counts == [2]
    # only a difficult object and no detection: the class has no positives -> left out
    m = VOCMetric(['a', 'b'])
    assert _run(m, [([[0, 0.9, 0, 0, 10, 10]], [[0, 0, 10, 10], [5, 5, 9, 9]], [0, 1],
                     [0, 1])]) == pytest.approx(1.0)
    assert m.per_class_ap()[1] is None
    assert 'n/a' in m.per_class_table()


def test_plus_one_pixel_convention():
    a, b = np.array([[0, 0, 9, 9]]), np.array([[5, 0, 14, 9]])
    assert pairwise_iou(a, a)[0, 0] == pytest.approx(1.0)
    assert pairwise_iou(a, b)[0, 0] == pytest.approx(50 / 150)
    assert pairwise_iou(a, b, normalized=True)[0, 0] == pytest.approx(36 / 126)


def test_scale_factor_padding_and_missed_class():
    m = VOCMetric(['a', 'b'])
    inputs = {'im_id': np.array([[1], [2]]),
              'gt_bbox': np.array([[[20, 20, 100, 100], [0, 0, 0, 0]],
                                   [[10, 10, 30, 30], [40, 40, 60, 60]]], np.float32),
              'gt_class': np.array([[[0], [0]], [[0], [1]]], np.int32),
              'scale_factor': np.array([[2.0, 2.0], [1.0, 1.0]], np.float32)}
    outputs = {'bbox': np.array([[0, 0.9, 10, 10, 50, 50], [0, 0.8, 10, 10, 30, 30]], np.float32),
               'bbox_num': np.array([1, 1])}
    m.update(inputs, outputs)
    m.accumulate()
    assert m.detection_map.gt_counts == [2, 1]
    assert m.per_class_ap() == [pytest.approx(1.0), 0.0]
    assert m.result()['bbox'][0] == pytest.approx(0.5)
    m.reset()
    m.accumulate()
    assert m.result()['bbox'] == [0.0]


def test_bad_map_type():
    with pytest.raises(ConfigError, match='map_type'):
        VOCMetric(['a'], map_type='11-point')
