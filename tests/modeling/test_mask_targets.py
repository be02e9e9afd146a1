"""Mask R-CNN's mask targets, mask loss and mask pasting, against PaddleDetection 2.6 and
against the plain formulas.

`fixtures/mask_rcnn_r50_fpn_mask_targets.npz` holds one training forward pass of
PaddleDetection 2.6.0's mask_rcnn_r50_fpn_1x_coco (recipe weights, BloodImage_00000 resized to
320x320, deterministic sampling; every box given as its 4-corner polygon): the box assigner's
sampled RoIs, labels and matched ground-truth indices, the mask assigner's output, the mask
logits of each RoI's own class and `loss_mask`. Fed the same RoIs and polygons, our targets
must be equal pixel for pixel and the loss bit for bit (same operations in the same order).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import paddle
import pytest

from ppdet.core.errors import DatasetError
from ppdet.modeling.heads.mask_head import MaskFeat, MaskHead
from ppdet.modeling.ops.mask_post_process import MaskPostProcess, paste_mask, paste_probabilities
from ppdet.modeling.proposal_generator.mask_target import (MaskAssigner,
                                                           rasterize_polygons_within_box)

FIXTURE = Path(__file__).parent / 'fixtures' / 'mask_rcnn_r50_fpn_mask_targets.npz'


def _reader_polygons(ref):
    """The polygons PaddleDetection's Resize gave: float32 corners times the scale."""
    polys = []
    for x1, y1, x2, y2 in ref['gt_boxes_original']:
        p = np.array([x1, y1, x2, y1, x2, y2, x1, y2], dtype='float32')
        p[0::2] *= float(ref['scale_xy'][0])
        p[1::2] *= float(ref['scale_xy'][1])
        polys.append([p.tolist()])
    return polys


def test_mask_targets_and_loss_equal_paddledetections():
    ref = np.load(FIXTURE)
    rois, classes, masks, index, weights = [ref[f'target.mask.{k}'] for k in
                                            ('rois', 'classes', 'masks', 'index', 'weights')]
    out = MaskAssigner(80, 28)([paddle.to_tensor(ref['target.bbox.rois'])],
                               [paddle.to_tensor(ref['target.bbox.labels'])],
                               [paddle.to_tensor(ref['target.bbox.gt_inds'])],
                               {'gt_poly': [_reader_polygons(ref)]})
    mask_rois, rois_num, got_classes, got_masks, got_index, got_weights = out
    np.testing.assert_array_equal(mask_rois[0].numpy(), rois)
    assert rois_num.numpy().tolist() == [len(rois)]
    np.testing.assert_array_equal(got_classes.numpy(), classes)
    np.testing.assert_array_equal(got_masks.numpy(), masks)
    np.testing.assert_array_equal(got_index.numpy(), index.reshape(-1))
    np.testing.assert_array_equal(got_weights.numpy(), weights)
    logits = np.zeros([len(rois), 80, 28, 28], 'float32')  # only the own class is read
    logits[np.arange(len(rois)), classes] = ref['mask_head.own_class_logits']
    loss = MaskHead(MaskFeat(8, 8, num_convs=0), num_classes=80).get_loss(
        paddle.to_tensor(logits), got_classes, got_masks, got_weights)
    assert float(loss) == float(ref['out.loss_mask'])


def test_an_image_without_foreground_keeps_one_weightless_roi():
    rois = paddle.to_tensor([[0., 0., 10., 10.], [5., 5., 20., 20.]])
    labels = paddle.to_tensor([3, 3], dtype='int32')  # both background (3 classes)
    out = MaskAssigner(3, 14)([rois], [labels], [paddle.zeros([2], 'int64')],
                              {'gt_poly': [[[[0., 0., 4., 0., 4., 4.]]]]})
    assert out[1].numpy().tolist() == [1]
    assert out[5].numpy().tolist() == [0.] and out[3].shape == [1, 14, 14]


def test_polygon_rasterised_within_its_box():
    box = np.array([10., 20., 50., 40.], 'float32')  # 40 x 20
    full = rasterize_polygons_within_box([[10, 20, 50, 20, 50, 40, 10, 40]], box, 28)
    assert full.all()
    left = rasterize_polygons_within_box([[10, 20, 30, 20, 30, 40, 10, 40]], box, 28)
    assert left[:, :14].all() and not left[:, 14:].any()


@pytest.mark.parametrize('bad', [[[1., 2., 3., 4.]], [], 'x'])
def test_bad_polygons_are_refused_with_the_object_named(bad):
    with pytest.raises(DatasetError, match='gt_poly of image 0, object 0'):
        MaskAssigner(3, 14)([paddle.to_tensor([[0., 0., 10., 10.]])],
                            [paddle.to_tensor([0], dtype='int32')],
                            [paddle.zeros([1], 'int64')], {'gt_poly': [[bad]]})


def test_missing_polygons_say_which_field_to_add():
    with pytest.raises(DatasetError, match="add 'gt_poly' to TrainDataset.data_fields"):
        MaskAssigner(3, 14)([paddle.zeros([1, 4])], [paddle.zeros([1], 'int32')],
                            [paddle.zeros([1], 'int64')], {})


def _paste_whole_image(mask, box, h, w, thresh):
    """PaddleDetection's formula over every pixel of the image (no window)."""
    x0, y0, x1, y1 = (np.float32(v) for v in box)
    xs = (np.arange(w, dtype='float32') + np.float32(0.5) - x0) / (x1 - x0) * 2 - 1
    ys = (np.arange(h, dtype='float32') + np.float32(0.5) - y0) / (y1 - y0) * 2 - 1
    grid = np.stack(np.broadcast_arrays(xs[None, :], ys[:, None]), -1).astype('float32')
    out = paddle.nn.functional.grid_sample(mask.reshape([1, 1, 28, 28]),
                                           paddle.to_tensor(grid[None]), align_corners=False)
    return (out.numpy()[0, 0] >= thresh).astype('int32')


def test_windowed_paste_equals_the_whole_image_formula():
    rng = np.random.default_rng(0)
    h, w = 61, 83
    boxes = [[3.3, 4.7, 40.2, 30.9], [-10., -5., 20.5, 12.25], [70.1, 50.3, 95., 70.],
             [30., 30., 30.9, 31.2], [0., 0., 83., 61.]]
    for box in boxes:
        mask = paddle.to_tensor(rng.random((28, 28)).astype('float32'))
        got = np.empty([h, w], 'int32')
        paste_mask(mask, np.array(box, 'float32'), got, 0.5)
        np.testing.assert_array_equal(got, _paste_whole_image(mask, box, h, w, 0.5))


def test_mask_post_process_rows_images_and_empty_boxes():
    masks = [paddle.ones([28, 28]), paddle.ones([28, 28]), paddle.ones([28, 28])]
    bboxes = paddle.to_tensor([[0, .9, 2., 2., 6., 5.], [-1, 0., 0., 0., 0., 0.],
                               [1, .8, 1., 1., 3., 3.]], dtype='float32')
    out = MaskPostProcess(0.5)(masks, bboxes, paddle.to_tensor([2, 1], dtype='int32'),
                               paddle.to_tensor([[6., 8.], [4., 4.]]))
    out = out.numpy()
    assert out.shape == (3, 6, 8) and out.dtype == np.int32
    assert out[0, 2:5, 2:6].all() and out[0].sum() == 12   # the box's pixels
    assert not out[1].any()                                 # placeholder row: empty
    assert (out[2, 4:, :] == -1).all() and (out[2, :, 4:] == -1).all()  # beyond image 2
    assert out[2, 1:3, 1:3].all() and out[2, :4, :4].sum() == 4


def test_benchmark_train_batch_has_box_polygons():
    from ppdet.benchmark.model import _train_batch
    from ppdet.core.workspace import load_config
    root = Path(__file__).resolve().parents[2]
    cfg = load_config(str(root / 'configs' / 'mask_rcnn' / 'mask_rcnn_r50_fpn_1x_coco.yml'))
    batch = _train_batch(cfg, 64, 80, polygons=True)
    for boxes, polys in zip(batch['gt_bbox'], batch['gt_poly']):
        assert len(polys) == boxes.shape[0]
        for (x1, y1, x2, y2), (poly,) in zip(boxes.numpy().tolist(), polys):
            assert poly == pytest.approx([x1, y1, x2, y1, x2, y2, x1, y2])


def _predict(model, samples):
    """Outputs and the mask head's probabilities of one eval pass over `samples` as a batch."""
    probs = []
    hook = model.mask_head.register_forward_post_hook(lambda l, i, o: probs.append(o.numpy()))
    keys = ('image', 'im_shape', 'scale_factor')
    with paddle.no_grad():
        out = model({k: paddle.to_tensor(np.stack([s[k] for s in samples])) for k in keys})
    hook.remove()
    return {k: v.numpy() for k, v in out.items()}, probs[0]


@pytest.mark.parametrize('cascade', [False, True])
def test_a_batch_of_two_images_predicts_as_one_by_one(cascade):
    """Rows, boxes and masks of each image do not depend on the batch (only GEMM round-off
    may: 1e-6 relative, so 1e-3 px and 1e-5 in probability; a mask pixel may flip only where
    its probability is that close to the threshold)."""
    from tests.modeling._mask_helpers import (bccd_instance_sample, small_cascade_rcnn,
                                              small_mask_rcnn)
    samples = [bccd_instance_sample(s, 160) for s in ('BloodImage_00000', 'BloodImage_00007')]
    model = small_cascade_rcnn(3, True, 0.3) if cascade else small_mask_rcnn(3, 0.3)
    model.eval()
    both, both_probs = _predict(model, samples)
    singles = [_predict(model, [s]) for s in samples]
    assert both['bbox_num'].tolist() == [int(o['bbox_num'][0]) for o, _ in singles]
    rows = np.concatenate([o['bbox'] for o, _ in singles])
    np.testing.assert_array_equal(both['bbox'][:, 0], rows[:, 0])
    assert np.abs(both['bbox'][:, 1:] - rows[:, 1:]).max() < 1e-3
    probs = np.concatenate([p for _, p in singles])
    assert np.abs(both_probs - probs).max() < 1e-5
    masks = [m for o, _ in singles for m in o['mask']]
    for r, (mask, box, prob) in enumerate(zip(masks, rows[:, 2:], probs)):
        flipped = both['mask'][r, :mask.shape[0], :mask.shape[1]] != mask
        if flipped.any():
            ys, xs, values = paste_probabilities(paddle.to_tensor(prob), box, *mask.shape)
            near = np.zeros(mask.shape, bool)
            near[ys, xs] = np.abs(values - 0.5) <= 1e-5
            assert not (flipped & ~near).any(), f'mask row {r}'


def test_no_detection_gives_one_empty_mask_row_per_image():
    from tests.modeling._mask_helpers import bccd_instance_sample, small_mask_rcnn
    s = bccd_instance_sample('BloodImage_00000', 160)
    model = small_mask_rcnn(3, score_threshold=1.1)  # nothing can pass
    model.eval()
    out, probs = _predict(model, [s])
    assert out['bbox_num'].tolist() == [1] and out['bbox'][0, 0] == -1
    assert out['mask'].shape == (1, 480, 640) and not out['mask'].any()
    assert probs.shape[0] == 0
