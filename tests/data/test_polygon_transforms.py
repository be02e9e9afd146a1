"""Polygons (gt_poly) move exactly like their boxes, and like the pixels, in every transform."""
import cv2
import numpy as np
import pytest

from ppdet.core.errors import ConfigError
from ppdet.data.polygon import (box_polygon, clip_polygon, crop_polygons, polygon_area,
                                polygons_extent)
from ppdet.data.reader.collate import collate
from ppdet.data.transform import (BatchRandomResize, Mixup, NormalizeBox, Pad, PadBox,
                                  RandomCrop, RandomExpand, RandomFlip, RandomResize,
                                  RandomResizeCrop, Resize)
from ppdet.data.transform.multiscale import MultiscaleTestResize

H, W = 96, 128
COLOUR = (255, 0, 0)


def _diamond(box):
    """A polygon whose extent is exactly `box` (so extent == box is a real check)."""
    x1, y1, x2, y2 = box
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    return np.array([cx, y1, x2, cy, cx, y2, x1, cy], np.float32)


def _sample():
    """An image with a red filled ellipse, its polygon, and two more objects whose polygons
    have their box as extent (a rectangle and a diamond)."""
    im = np.full((H, W, 3), 40, np.uint8)
    pts = cv2.ellipse2Poly((34, 40), (20, 14), 0, 0, 360, 5)
    cv2.fillPoly(im, [pts], COLOUR)
    ell = (pts.astype(np.float32) + 0.5).reshape(-1)  # pixel centres -> pixel-edge coordinates
    boxes = np.array([polygons_extent([ell]), [70, 10, 110, 30], [80, 50, 120, 90]], np.float32)
    polys = [[ell], [box_polygon(boxes[1])], [_diamond(boxes[2])]]
    return {'image': im, 'im_shape': np.array([H, W], np.float32),
            'scale_factor': np.ones(2, np.float32), 'gt_bbox': boxes,
            'gt_class': np.array([[0], [1], [2]], np.int32),
            'is_crowd': np.zeros((3, 1), np.int32), 'gt_poly': polys}


def _mask_iou(sample):
    """IoU of the first object's polygon (rasterised) with the red pixels of the image."""
    im = sample['image']
    red = (im[:, :, 0] > 150) & (im[:, :, 1] < 100) & (im[:, :, 2] < 100)
    drawn = np.zeros(im.shape[:2], np.uint8)
    pts = np.round(sample['gt_poly'][0][0].reshape(-1, 2) - 0.5).astype(np.int32)
    cv2.fillPoly(drawn, [pts], 1)
    return (red & (drawn > 0)).sum() / max((red | (drawn > 0)).sum(), 1)


def _check_aligned(sample, exact_extent=True):
    h, w = sample['image'].shape[:2]
    boxes, polys = sample['gt_bbox'], sample['gt_poly']
    assert len(polys) == len(boxes) == len(sample['gt_class'])
    for box, parts in zip(boxes, polys):
        pts = np.concatenate(parts).reshape(-1, 2)
        assert (pts >= 0).all() and (pts[:, 0] <= w).all() and (pts[:, 1] <= h).all()
        ext = polygons_extent(parts)
        if exact_extent:
            np.testing.assert_allclose(ext, box, atol=1e-3)
        else:  # cropped: the polygon lies within its (cut) box
            assert (ext[:2] >= box[:2] - 1e-3).all() and (ext[2:] <= box[2:] + 1e-3).all()


# Bound for _mask_iou: the polygon and the filled pixels differ by at most one boundary ring
# (interpolation blurs the edge by a pixel); for an ellipse of radii >= 14 px at scale >= 0.9
# that ring is < 15% of the area, so IoU > 0.75. A polygon that did not move with the pixels
# (no flip, no shift, no scale) overlaps them far less.
IOU_FLOOR = 0.75


def test_the_fixture_itself_is_consistent():
    s = _sample()
    _check_aligned(s)
    assert _mask_iou(s) > 0.9


@pytest.mark.parametrize('op', [
    RandomFlip(prob=1.0),
    Resize(target_size=[80, 200], keep_ratio=True),
    Resize(target_size=[150, 100], keep_ratio=False),
    RandomResize(target_size=[[120, 200], [140, 300]], keep_ratio=True),
    RandomExpand(ratio=2.0, prob=0.0),
    Pad(size=[128, 160], pad_mode=1),
    MultiscaleTestResize(origin_target_size=[120, 200], target_size=[], use_flip=False),
], ids=lambda op: type(op).__name__)
def test_polygon_moves_with_box_and_pixels(op):
    rng = np.random.default_rng(3)
    before = _sample()
    out = op(before, rng)
    s = out[0] if isinstance(out, list) else out
    _check_aligned(s)
    assert _mask_iou(s) > IOU_FLOOR


def test_flip_and_shift_are_exact():
    s = RandomFlip(prob=1.0)(_sample(), np.random.default_rng(0))
    np.testing.assert_array_equal(s['gt_poly'][1][0], box_polygon([W - 110, 10, W - 70, 30])
                                  [[2, 1, 0, 3, 6, 5, 4, 7]])
    s = Pad(size=[100, 140], pad_mode=-1, offsets=[5, 3])(_sample(), np.random.default_rng(0))
    np.testing.assert_array_equal(s['gt_poly'][1][0], box_polygon([75, 13, 115, 33]))


def test_batch_random_resize_moves_every_sample():
    samples = BatchRandomResize(target_size=[[64, 64]], keep_ratio=False)(
        [_sample(), _sample()], np.random.default_rng(0))
    for s in samples:
        _check_aligned(s)
        np.testing.assert_allclose(s['gt_poly'][1][0], box_polygon([35, 6.6667, 55, 20]),
                                   atol=1e-3)


@pytest.mark.parametrize('seed', range(6))
def test_random_crop_clips_polygons_and_keeps_them_aligned(seed):
    op = RandomCrop(thresholds=[0.0], scaling=[0.4, 0.8], allow_no_crop=False,
                    is_mask_crop=True)
    s = op(_sample(), np.random.default_rng(seed))
    assert s['image'].shape[:2] != (H, W)
    _check_aligned(s, exact_extent=False)
    classes = s['gt_class'][:, 0].tolist()
    for c, box, parts in zip(classes, s['gt_bbox'], s['gt_poly']):
        if c == 1:  # a rectangle cut to the window is exactly the cut box
            np.testing.assert_allclose(polygons_extent(parts), box, atol=1e-4)
    if 0 in classes:
        assert _mask_iou(s) > IOU_FLOOR * 0.9  # a cut ellipse: fewer pixels, same ring


def test_random_resize_crop_keeps_alignment():
    op = RandomResizeCrop(resizes=[150], cropsizes=[[80, 100]], prob=1.0, thresholds=[0.0])
    for seed in range(4):
        s = op(_sample(), np.random.default_rng(seed))
        _check_aligned(s, exact_extent=False)


def test_crop_drops_an_object_whose_polygon_misses_the_window():
    """The box's centre is inside the window, the L-shaped polygon is not: the object goes."""
    ell = np.array([0, 0, 40, 0, 40, 4, 4, 4, 4, 40, 0, 40], np.float32)  # an L in [0,40]^2
    polys, keep = crop_polygons([[ell], [box_polygon([0, 0, 40, 40])]], [10, 10, 40, 40])
    assert keep.tolist() == [False, True] and polys[0] == []
    np.testing.assert_array_equal(polys[1][0], box_polygon([0, 0, 30, 30]))


def test_clip_polygon_areas():
    sq = box_polygon([0, 0, 10, 10])
    assert polygon_area(clip_polygon(sq, 5, -5, 15, 5)) == pytest.approx(25.0)
    u_shape = np.array([0, 0, 30, 0, 30, 30, 20, 30, 20, 10, 10, 10, 10, 30, 0, 30], np.float32)
    assert polygon_area(u_shape) == pytest.approx(700.0)
    # only the two arms are above y=20: 2 x (10 x 10)
    assert polygon_area(clip_polygon(u_shape, 0, 20, 30, 30)) == pytest.approx(200.0)
    assert clip_polygon(sq, 20, 20, 30, 30).size == 0


def test_normalize_box_and_mixup_keep_polygons_with_boxes():
    s = NormalizeBox()(_sample(), np.random.default_rng(0))
    np.testing.assert_allclose(polygons_extent(s['gt_poly'][2]), s['gt_bbox'][2], atol=1e-6)
    b = _sample()
    b['gt_poly'] = b['gt_poly'][:1]
    for k in ('gt_bbox', 'gt_class', 'is_crowd'):
        b[k] = b[k][:1]
    for seed in range(5):  # some draws blend, some let one side win; both keep alignment
        m = Mixup(alpha=1.5, beta=1.5)([_sample(), dict(b)], np.random.default_rng(seed))
        assert len(m['gt_poly']) == len(m['gt_bbox'])


def test_padbox_refuses_polygons_and_works_without_them():
    s = _sample()
    with pytest.raises(ConfigError, match='remove PadBox.*or gt_poly'):
        PadBox(num_max_boxes=5)(s, np.random.default_rng(0))
    s.pop('gt_poly')  # the remedy: no gt_poly in data_fields
    assert PadBox(num_max_boxes=5)(s, np.random.default_rng(0))['gt_bbox'].shape == (5, 4)


def test_collate_keeps_polygons_as_nested_lists():
    a, b = _sample(), _sample()
    b['gt_poly'] = b['gt_poly'][:2]
    for k in ('gt_bbox', 'gt_class', 'is_crowd'):
        b[k] = b[k][:2]
    for collate_batch in (True, False):
        batch = collate([a, b], collate_batch)
        assert isinstance(batch['gt_poly'], list) and len(batch['gt_poly']) == 2
        assert [len(p) for p in batch['gt_poly']] == [3, 2]
        assert batch['gt_poly'][0][0][0].dtype == np.float32
