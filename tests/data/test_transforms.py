"""Geometric transforms move boxes with the pixels: draw an object, transform image and box,
and check the box still frames the drawn object."""
import numpy as np
import pytest

from ppdet.core.errors import ConfigError
from ppdet.data.transform import (BatchRandomResize, BboxXYXY2XYWH, Decode, Gt2YoloTarget,
                                  Mixup, NormalizeBox, NormalizeImage, Pad, PadBatch, PadBox,
                                  Permute, RandomCrop, RandomDistort, RandomExpand, RandomFlip,
                                  RandomResize, RandomResizeCrop, Resize, apply_ops)

from .conftest import write_image

BOX = [14, 9, 41, 30]  # drawn object, pixel edges, in a 64x48 image


def _sample(tmp_path, box=BOX, name='x.png'):
    write_image(tmp_path / name, 48, 64, box, value=(0, 0, 255))
    s = {'im_file': str(tmp_path / name), 'gt_bbox': np.array([box], np.float32),
         'gt_class': np.array([[1]], np.int32), 'is_crowd': np.zeros((1, 1), np.int32),
         'difficult': np.zeros((1, 1), np.int32)}
    return Decode()(s, np.random.default_rng(0))


def _drawn_box(image):
    mask = image[..., 0].astype(np.float32) > 137  # red channel, halfway between 20 and 255
    ys, xs = np.nonzero(mask)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float32)


def _assert_frames(sample, tol=1.5):
    assert len(sample['gt_bbox']) == 1
    np.testing.assert_allclose(sample['gt_bbox'][0], _drawn_box(sample['image']), atol=tol)


OPS = {
    'resize_keep': lambda: [Resize([96, 160], keep_ratio=True)],
    'resize_stretch': lambda: [Resize([37, 101], keep_ratio=False)],
    'random_resize': lambda: [RandomResize([[30, 40], [90, 120]], keep_ratio=False,
                                           random_interp=True)],
    'flip': lambda: [RandomFlip(prob=1.0)],
    'expand': lambda: [RandomExpand(ratio=3.0, prob=0.0, fill_value=[0, 0, 0])],
    'pad_centre': lambda: [Pad(size=[61, 90], pad_mode=1, fill_value=0)],
    'pad_offsets': lambda: [Pad(size=[60, 80], pad_mode=-1, offsets=[7, 3], fill_value=0)],
    'pad_divisor': lambda: [Pad(size_divisor=32, pad_mode=2, fill_value=0)],
    'expand_crop_flip': lambda: [RandomExpand(prob=0.0, fill_value=[0, 0, 0]),
                                 RandomCrop(thresholds=[0.0], allow_no_crop=False),
                                 RandomFlip(prob=1.0)],
    'resize_crop': lambda: [RandomResizeCrop(resizes=[80], cropsizes=[[30, 60]], prob=1.0,
                                             thresholds=[0.0])],
}


@pytest.mark.parametrize('name', sorted(OPS))
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_geometric_ops_keep_box_on_object(tmp_path, name, seed):
    s = apply_ops(OPS[name](), _sample(tmp_path), np.random.default_rng(seed))
    assert s['image'].dtype == np.uint8
    _assert_frames(s)


def test_resize_sets_shape_and_scale(tmp_path):
    s = Resize([96, 96], keep_ratio=True)(_sample(tmp_path), np.random.default_rng(0))
    assert s['image'].shape == (72, 96, 3)
    assert s['im_shape'].tolist() == [72, 96] and s['scale_factor'].tolist() == [1.5, 1.5]


def test_random_crop_cuts_boxes_and_drops_outside_centres(tmp_path):
    s = _sample(tmp_path)
    s['gt_bbox'] = np.array([[14, 9, 41, 30], [0, 0, 4, 4]], np.float32)
    for k in ('gt_class', 'is_crowd', 'difficult'):
        s[k] = np.zeros((2, 1), np.int32)
    found = False
    for seed in range(30):
        out = RandomCrop(thresholds=[0.3], allow_no_crop=False, scaling=[0.5, 0.7])(
            {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()},
            np.random.default_rng(seed))
        assert len(out['gt_bbox']) == len(out['gt_class']) == len(out['difficult'])
        if len(out['gt_bbox']) == 1 and out['image'].shape[:2] != (48, 64):
            _assert_frames(out)
            found = True
    assert found


def test_batch_random_resize_one_size_per_batch(tmp_path):
    samples = [_sample(tmp_path, name=f'{i}.png') for i in range(3)]
    out = BatchRandomResize([[32, 32], [64, 96]], keep_ratio=False, random_interp=True)(
        samples, np.random.default_rng(5))
    assert len({o['image'].shape for o in out}) == 1
    for o in out:
        _assert_frames(o)


def test_normalize_permute_padbatch(tmp_path):
    s = _sample(tmp_path)
    s = apply_ops([NormalizeImage(mean=[0.5, 0.5, 0.5], std=[0.5, 0.25, 1.0]), Permute()], s,
                  np.random.default_rng(0))
    assert s['image'].shape == (3, 48, 64) and s['image'].dtype == np.float32
    np.testing.assert_allclose(s['image'][:, 0, 0], [(20 / 255 - .5) / .5, (20 / 255 - .5) / .25,
                                                     20 / 255 - .5], rtol=1e-5)
    big = dict(s, image=np.ones((3, 50, 70), np.float32))
    out = PadBatch(pad_to_stride=32)([s, big], np.random.default_rng(0))
    assert [o['image'].shape for o in out] == [(3, 64, 96)] * 2
    with pytest.raises(ConfigError):
        NormalizeImage(norm_type='minmax')


def test_random_distort_changes_pixels_not_boxes(tmp_path):
    s = _sample(tmp_path)
    out = RandomDistort(hue=[-18, 18, 0], saturation=[0.5, 1.5, 0], contrast=[0.5, 1.5, 0],
                        brightness=[0.5, 1.5, 0])(dict(s, image=s['image'].copy()),
                                                  np.random.default_rng(3))
    assert out['image'].dtype == np.float32 and out['image'].shape == s['image'].shape
    assert not np.allclose(out['image'], s['image'])
    np.testing.assert_array_equal(out['gt_bbox'], s['gt_bbox'])
    same = RandomDistort(hue=[-18, 18, 1], saturation=[0.5, 1.5, 1], contrast=[0.5, 1.5, 1],
                         brightness=[0.5, 1.5, 1])(dict(s), np.random.default_rng(3))
    np.testing.assert_array_equal(same['image'], s['image'])  # prob 1 = always skipped


def test_mixup_blends_and_scores(tmp_path):
    a, b = _sample(tmp_path, name='a.png'), _sample(tmp_path, [0, 0, 10, 10], 'b.png')
    out = Mixup(alpha=1.5, beta=1.5)([a, b], np.random.default_rng(1))
    assert out['gt_bbox'].shape == (2, 4) and out['gt_score'].shape == (2, 1)
    f = float(out['gt_score'][0, 0])
    assert 0 < f < 1 and abs(out['gt_score'][1, 0] - (1 - f)) < 1e-6
    assert out['image'].dtype == np.float32


def test_padbox_and_xywh(tmp_path):
    s = _sample(tmp_path)
    s = apply_ops([NormalizeBox(), BboxXYXY2XYWH(), PadBox(num_max_boxes=3)], s,
                  np.random.default_rng(0))
    np.testing.assert_allclose(s['gt_bbox'][0], [27.5 / 64, 19.5 / 48, 27 / 64, 21 / 48],
                               rtol=1e-6)
    assert s['gt_bbox'].shape == (3, 4) and s['gt_class'].tolist() == [1, 0, 0]
    assert s['num_cut_boxes'] == 0


def test_gt2yolo_target_values_and_default_score():
    s = {'image': np.zeros((3, 64, 64), np.float32),
         'gt_bbox': np.array([[0.5, 0.25, 0.25, 0.25], [0, 0, 0, 0]], np.float32),
         'gt_class': np.array([2, 0], np.int32)}
    op = Gt2YoloTarget(anchors=[[8, 8], [16, 16], [32, 32]], anchor_masks=[[2], [0, 1]],
                       downsample_ratios=[32, 16], num_classes=3)
    out = op([s], np.random.default_rng(0))[0]
    t0, t1 = out['target0'], out['target1']
    assert t0.shape == (1, 9, 2, 2) and t1.shape == (2, 9, 4, 4)
    assert not t0.any()
    cell = t1[1, :, 1, 2]
    np.testing.assert_allclose(cell, [0, 0, 0, 0, 2 - 0.0625, 1, 0, 0, 1], atol=1e-6)
    assert np.count_nonzero(t1[:, 5]) == 1  # padding box ignored
    s2 = dict(s, gt_score=np.array([0.3, 0], np.float32), image=s['image'])
    assert op([s2], np.random.default_rng(0))[0]['target1'][1, 5, 1, 2] == pytest.approx(0.3)
    bad = dict(s, gt_class=np.array([5, 0], np.int32))
    with pytest.raises(ConfigError, match='num_classes'):
        op([bad], np.random.default_rng(0))
