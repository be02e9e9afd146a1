"""AnchorGeneratorSSD, SSDBox and SSDLoss on small hand-made inputs."""
import numpy as np
import paddle
import pytest

from ppdet.core.errors import ConfigError
from ppdet.modeling.layers.anchor_generator_ssd import AnchorGeneratorSSD
from ppdet.modeling.losses.ssd_loss import SSDLoss, encode_center_size, iou_matrix
from ppdet.modeling.ops.ssd_box import SSDBox, decode_center_size

MB_ANCHORS = dict(steps=[0] * 6, aspect_ratios=[[2.], [2., 3.], [2., 3.], [2., 3.], [2., 3.],
                                               [2., 3.]],
                  min_ratio=20, max_ratio=90, base_size=300,
                  min_sizes=[60.0, 105.0, 150.0, 195.0, 240.0, 285.0],
                  max_sizes=[[], 150.0, 195.0, 240.0, 285.0, 300.0])


def _feats(sizes, c=4):
    return [paddle.zeros([1, c, s, s]) for s in sizes]


def test_num_priors_match_generated_priors():
    gen = AnchorGeneratorSSD(**MB_ANCHORS)
    assert gen.num_priors == [3, 6, 6, 6, 6, 6]
    sizes = [19, 10, 5, 3, 2, 1]
    priors = gen(_feats(sizes), paddle.zeros([1, 3, 300, 300]))
    assert [p.shape[0] for p in priors] == [s * s * n for s, n in zip(sizes, gen.num_priors)]


def test_first_prior_is_min_size_square_at_first_cell():
    gen = AnchorGeneratorSSD(min_max_aspect_ratios_order=True)  # VGG layout
    p = gen(_feats([38]), paddle.zeros([1, 3, 300, 300]))[0].numpy()
    # cell (0, 0): centre 0.5 * 8 px; min size 30 px; then sqrt(30 * 60) px
    np.testing.assert_allclose(p[0], np.array([4 - 15, 4 - 15, 4 + 15, 4 + 15]) / 300, atol=1e-6)
    s = np.sqrt(30 * 60) / 2
    np.testing.assert_allclose(p[1], np.array([4 - s, 4 - s, 4 + s, 4 + s]) / 300, atol=1e-6)


def test_priors_are_cached_per_size():
    gen = AnchorGeneratorSSD(**MB_ANCHORS)
    img = paddle.zeros([1, 3, 300, 300])
    a = gen(_feats([19, 10, 5, 3, 2, 1]), img)
    b = gen(_feats([19, 10, 5, 3, 2, 1]), img)
    assert all(x is y for x, y in zip(a, b))
    c = gen(_feats([10, 5, 3, 2, 1, 1]), paddle.zeros([1, 3, 160, 160]))
    assert c[0].shape[0] == 10 * 10 * 3


def test_sizes_derived_from_ratios_when_not_given():
    gen = AnchorGeneratorSSD(min_sizes=[], max_sizes=[], min_ratio=20, max_ratio=90)
    assert gen.min_sizes == [30.0, 60.0, 111.0, 162.0, 213.0, 264.0]
    assert gen.max_sizes == [60.0, 111.0, 162.0, 213.0, 264.0, 315.0]


def test_mismatched_levels_is_a_config_error():
    with pytest.raises(ConfigError, match='one entry per feature level'):
        AnchorGeneratorSSD(steps=[8, 16])


def test_encode_decode_round_trip():
    rng = np.random.RandomState(0)
    a, b = rng.rand(50, 2), rng.rand(50, 2)
    priors = np.concatenate([np.minimum(a, b), np.maximum(a, b) + 0.05], axis=1)
    gt = priors + rng.uniform(-0.03, 0.03, priors.shape)
    pri = paddle.to_tensor(priors.astype('float32'))
    var = [0.1, 0.1, 0.2, 0.2]
    deltas = encode_center_size(paddle.to_tensor(gt[None].astype('float32')), pri, var)
    back = decode_center_size(deltas, pri, var).numpy()[0]
    np.testing.assert_allclose(back, gt, atol=1e-5)


def test_ssdbox_scales_to_original_image_and_puts_background_last():
    priors = [paddle.to_tensor([[0.25, 0.25, 0.75, 0.75]])]
    deltas = [paddle.zeros([1, 1, 4])]
    logits = [paddle.to_tensor([[[0., 0., 5.]]])]  # background (last) wins
    boxes, probs = SSDBox()((deltas, logits), priors, paddle.to_tensor([[300., 300.]]),
                            paddle.to_tensor([[300 / 480, 300 / 640]]))
    np.testing.assert_allclose(boxes.numpy()[0, 0], [160, 120, 480, 360], rtol=1e-5)
    assert probs.shape == [1, 3, 1] and int(probs.numpy()[0, :, 0].argmax()) == 2


def _loss_inputs(num_classes=3):
    gen = AnchorGeneratorSSD(**MB_ANCHORS)
    priors = gen(_feats([19, 10, 5, 3, 2, 1]), paddle.zeros([1, 3, 300, 300]))
    n = sum(p.shape[0] for p in priors)
    gt_bbox = paddle.to_tensor([[[0.1, 0.1, 0.4, 0.45], [0.5, 0.5, 0.9, 0.8], [0, 0, 0, 0]],
                                [[0.02, 0.02, 0.06, 0.07], [0, 0, 0, 0], [0, 0, 0, 0]]])
    gt_class = paddle.to_tensor([[[1], [2], [0]], [[0], [0], [0]]], dtype='int32')
    return priors, n, gt_bbox, gt_class


def test_matching_gives_each_real_gt_its_best_prior_and_ignores_padding():
    priors, n, gt_bbox, gt_class = _loss_inputs()
    loss = SSDLoss()
    allp = paddle.concat(priors)
    targets, labels, pos, neg = loss.match(gt_bbox.astype('float32'),
                                           gt_class.reshape([2, -1]).astype('int64'), allp, 3)
    ious = iou_matrix(gt_bbox, allp).numpy()
    labels, pos = labels.numpy(), pos.numpy()
    # the tiny box of image 1 overlaps no prior by 0.5 but still gets its best prior
    best = ious[1, 0].argmax()
    assert ious[1, 0].max() < 0.5 and pos[1, best] and labels[1, best] == 0
    assert pos[1].sum() == 1  # padded rows (zero boxes, class 0) match nothing
    assert set(np.unique(labels[0][pos[0]])) == {1, 2}
    assert (labels[~pos] == 3).all() and not (pos & neg.numpy()).any()
    assert np.isfinite(targets.numpy()).all()


def test_hard_negative_mining_keeps_three_negatives_per_positive():
    loss = SSDLoss()
    conf = paddle.to_tensor(np.arange(20, dtype='float32')[None])
    pos = paddle.to_tensor(np.array([[True, True] + [False] * 18]))
    neg = paddle.logical_not(pos)
    kept = loss.mine_hard_negatives(conf, pos, neg).numpy()[0]
    assert kept.sum() == 6 and kept[-6:].all()  # the six highest-loss negatives


def test_loss_is_finite_and_trains_the_predictions():
    priors, n, gt_bbox, gt_class = _loss_inputs()
    paddle.seed(0)
    boxes = paddle.create_parameter([2, n, 4], 'float32')
    scores = paddle.create_parameter([2, n, 4], 'float32')
    opt = paddle.optimizer.SGD(5.0, parameters=[boxes, scores])
    loss_fn = SSDLoss()
    losses = []
    for _ in range(40):
        loss = loss_fn([boxes], [scores], gt_bbox, gt_class, priors)
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    assert np.isfinite(losses).all() and losses[-1] < 0.5 * losses[0]


def test_loss_without_any_ground_truth():
    priors, n, _, _ = _loss_inputs()
    boxes = paddle.zeros([1, n, 4])
    scores = paddle.zeros([1, n, 4])
    loss = SSDLoss()([boxes], [scores], paddle.zeros([1, 2, 4]),
                     paddle.zeros([1, 2, 1], 'int32'), priors)
    assert np.isfinite(float(loss)) and float(loss) > 0
