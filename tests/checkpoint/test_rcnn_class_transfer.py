"""Class-aware head transfer for Faster R-CNN and RetinaNet: a COCO-80 model transferred to
[person, car] predicts, before any training step and on a real image, what the 80-class model
predicts for those two classes.

- RetinaNet (sigmoid, no background): per anchor, the person/car logits are the 80-class
  model's up to the round-off of a conv of another width, and the box deltas bit for bit (that
  conv is the same), so are its person/car scores and boxes.
- Faster R-CNN (softmax with background last): the proposals are the same (the RPN does not
  depend on the classes); per RoI the person, car and background logits and the person/car
  box deltas are the 80-class model's: the same dot products, computed by a GEMM of another
  width, so equal up to float32 round-off (bounded, not bits). Its softmax then runs over three logits
  instead of 81, so a probability is the 80-class one renormalised over the kept classes and
  the background: p3(c) = p81(c) / (p81(person) + p81(car) + p81(background)).
"""
import numpy as np
import paddle

from tests.checkpoint._head_transfer import KEPT, TARGET, image, transfer
from tests.helpers.roundoff import assert_within, dot_bound, linear_magnitude
from tests.modeling._rcnn_helpers import small_faster_rcnn, small_retinanet

CLASS_PREFIXES = ('bbox_head.bbox_', 'head.retina_cls')


def test_faster_rcnn_person_car_from_coco80():
    src, dst = small_faster_rcnn(80), small_faster_rcnn(len(TARGET))
    assert len(transfer(src, dst, CLASS_PREFIXES).by_status('transferred')) == 4
    inputs = image(192)
    with paddle.no_grad():
        outs = []
        for model in (src, dst):
            feats = model.neck(model.backbone(inputs))
            rois, rois_num, _ = model.rpn_head(feats, inputs)
            pooled = model.bbox_head._features(feats, rois, rois_num)[0]
            outs.append((rois[0].numpy(), pooled.numpy(),
                         model.bbox_head.bbox_score(pooled).numpy(),
                         model.bbox_head.bbox_delta(pooled).numpy()))
    (rois80, feat80, logit80, delta80), (rois2, feat2, logit2, delta2) = outs
    assert np.array_equal(rois2, rois80) and len(rois80) > 0
    assert np.array_equal(feat2, feat80)
    n = feat80.shape[1] + 1  # products and the bias
    w_score = src.bbox_head.bbox_score.weight.numpy()
    w_delta = src.bbox_head.bbox_delta.weight.numpy()
    assert_within(logit2, logit80[:, KEPT + [80]],
                  dot_bound(n, linear_magnitude(feat80, w_score)[:, KEPT + [80]]), 'logits')
    mag = linear_magnitude(feat80, w_delta)
    for i, c in enumerate(KEPT):
        assert_within(delta2[:, 4 * i:4 * i + 4], delta80[:, 4 * c:4 * c + 4],
                      dot_bound(n, mag[:, 4 * c:4 * c + 4]), 'deltas')
    p81 = np.exp(logit80 - logit80.max(1, keepdims=True))
    p81 /= p81.sum(1, keepdims=True)
    p3 = paddle.nn.functional.softmax(paddle.to_tensor(logit2)).numpy()
    renorm = p81[:, KEPT] / p81[:, KEPT + [80]].sum(1, keepdims=True)
    assert np.abs(p3[:, :2] - renorm).max() < 1e-5  # two float32 softmaxes of equal logits


def test_retinanet_person_car_from_coco80():
    src, dst = small_retinanet(80), small_retinanet(len(TARGET))
    assert len(transfer(src, dst, CLASS_PREFIXES).by_status('transferred')) == 2
    inputs = image(192)
    with paddle.no_grad():
        cls80, reg80 = src.head(src.neck(src.backbone(inputs)))
        cls2, reg2 = dst.head(dst.neck(dst.backbone(inputs)))
    anchors = src.head.num_anchors
    mags = _cls_conv_magnitudes(src, inputs)
    n = src.head.retina_cls.weight.shape[1] * 9 + 1
    for c80, c2, r80, r2, mag in zip(cls80, cls2, reg80, reg2, mags):
        b, _, h, w = c80.shape
        per80 = c80.numpy().reshape(b, anchors, 80, h, w)[:, :, KEPT]
        per2 = c2.numpy().reshape(b, anchors, len(TARGET), h, w)
        bound = dot_bound(n, mag.reshape(b, anchors, 80, h, w)[:, :, KEPT])
        assert_within(per2, per80, bound, 'class logits')
        assert np.array_equal(r2.numpy(), r80.numpy())


def _cls_conv_magnitudes(model, inputs):
    """sum|x||w| (+|bias|) of `retina_cls` at every level, in float64."""
    head = model.head
    w = paddle.to_tensor(np.abs(head.retina_cls.weight.numpy()).astype('float64'))
    b = paddle.to_tensor(np.abs(head.retina_cls.bias.numpy()).astype('float64'))
    out = []
    with paddle.no_grad():
        for feat in model.neck(model.backbone(inputs)):
            x = paddle.to_tensor(np.abs(head.conv_feat(feat)[0].numpy()).astype('float64'))
            out.append(paddle.nn.functional.conv2d(x, w, b, padding=1).numpy())
    return out
