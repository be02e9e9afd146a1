"""Class-aware head transfer for Cascade R-CNN and Mask R-CNN: a COCO-80 model transferred to
[person, car] predicts, before any training step and on a real image, what the 80-class model
predicts for those two classes; the legacy names of the transfer guide and `detection` mode
cover their class-dependent layers.

- Cascade R-CNN: the proposals are the same; each stage's box deltas are class-agnostic (the
  same layer in both models), so every stage's RoIs and features are equal bit for bit; each
  stage's person, car and background logits are the 80-class model's up to the round-off of a
  GEMM of another width (bounded, not bits), so each stage's probabilities are the 80-class
  ones renormalised over the kept classes and the background, and the test-time score (the
  mean over the stages) is the mean of those.
- Mask R-CNN: the box head as Faster R-CNN's; on the same RoIs the mask features are equal bit
  for bit and the person/car mask logits are the 80-class model's up to the round-off of a
  1x1 conv of another width.
"""
import numpy as np
import paddle

from ppdet.checkpoint import load_pretrain_weights
from tests.checkpoint._head_transfer import KEPT, TARGET, image, transfer
from tests.helpers.roundoff import assert_within, dot_bound, linear_magnitude
from tests.modeling._mask_helpers import small_cascade_rcnn, small_mask_rcnn

CLASS_PREFIXES = ('bbox_head.bbox_', 'mask_head.mask_fcn_logits')


def _softmax(x):
    e = np.exp(x - x.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _cascade_stages(model, inputs):
    """Per stage: (RoI features, logits, deltas) from one eval pass, and the mean probs."""
    head, seen = model.bbox_head, {'feat': [], 'score': [], 'delta': []}
    hooks = [head.head.register_forward_post_hook(lambda l, i, o: seen['feat'].append(o))]
    for s, d in zip(head.bbox_score_list, head.bbox_delta_list):
        hooks.append(s.register_forward_post_hook(lambda l, i, o: seen['score'].append(o)))
        hooks.append(d.register_forward_post_hook(lambda l, i, o: seen['delta'].append(o)))
    with paddle.no_grad():
        model.inputs = inputs
        feats = model.feature_maps()
        rois, rois_num, _ = model.rpn_head(feats, inputs)
        (_, probs), _ = head(feats, rois, rois_num, inputs)
    for h in hooks:
        h.remove()
    return rois[0].numpy(), [[t.numpy() for t in seen[k]] for k in ('feat', 'score', 'delta')], \
        probs.numpy()


def test_cascade_rcnn_person_car_from_coco80():
    src, dst = small_cascade_rcnn(80), small_cascade_rcnn(len(TARGET))
    assert len(transfer(src, dst, CLASS_PREFIXES).by_status('transferred')) == 6  # 3 stage scores
    inputs = image(160)
    rois80, (feat80, logit80, delta80), _ = _cascade_stages(src, inputs)
    rois2, (feat2, logit2, delta2), probs2 = _cascade_stages(dst, inputs)
    assert np.array_equal(rois2, rois80) and len(rois80) > 0
    renorm = []
    for k in range(3):
        assert np.array_equal(feat2[k], feat80[k]) and np.array_equal(delta2[k], delta80[k])
        w = src.bbox_head.bbox_score_list[k].weight.numpy()
        bound = dot_bound(feat80[k].shape[1] + 1,
                          linear_magnitude(feat80[k], w)[:, KEPT + [80]])
        assert_within(logit2[k], logit80[k][:, KEPT + [80]], bound, f'stage {k} logits')
        p81 = _softmax(logit80[k].astype('float64'))
        renorm.append(p81[:, KEPT] / p81[:, KEPT + [80]].sum(1, keepdims=True))
    assert np.abs(probs2[:, :2] - np.mean(renorm, axis=0)).max() < 1e-5  # float32 softmaxes


def test_mask_rcnn_person_car_from_coco80():
    src, dst = small_mask_rcnn(80), small_mask_rcnn(len(TARGET))
    assert len(transfer(src, dst, CLASS_PREFIXES).by_status('transferred')) == 6  # score, delta, mask logits
    inputs = image(160)
    outs = []
    with paddle.no_grad():
        for model in (src, dst):
            model.inputs = inputs
            feats = model.feature_maps()
            rois, rois_num, _ = model.rpn_head(feats, inputs)
            head = model.mask_head
            x = head.head(head.roi_extractor(feats, rois, rois_num))
            outs.append((x.numpy(), head.mask_fcn_logits(x).numpy()))
    (x80, logit80), (x2, logit2) = outs
    assert np.array_equal(x2, x80)
    w = np.abs(src.mask_head.mask_fcn_logits.weight.numpy()[:, :, 0, 0]).astype('float64')
    b = np.abs(src.mask_head.mask_fcn_logits.bias.numpy()).astype('float64')
    magnitude = np.einsum('nkhw,ck->nchw', np.abs(x80.astype('float64')), w) + \
        b[None, :, None, None]
    bound = dot_bound(x80.shape[1] + 1, magnitude[:, KEPT])
    assert_within(logit2, logit80[:, KEPT], bound, 'mask logits')


def _plan(model, **kw):
    sd = {k: v.numpy() for k, v in model.state_dict().items()}
    return load_pretrain_weights(model, sd, apply=False, policy=None, **kw)


def test_legacy_names_resolve_on_the_real_models():
    cascade = _plan(small_cascade_rcnn(3, with_mask=True),
                    exclude=['cls_score', 'bbox_pred', 'mask_fcn_logits'])
    by = {p.pattern: p for p in cascade.patterns if p.origin == 'user'}
    assert by['cls_score'].resolved == tuple(f'bbox_head.bbox_score_stage{k}' for k in range(3))
    assert by['bbox_pred'].resolved == tuple(f'bbox_head.bbox_delta_stage{k}' for k in range(3))
    assert by['mask_fcn_logits'].matched == ('mask_head.mask_fcn_logits.weight',
                                             'mask_head.mask_fcn_logits.bias')
    assert not cascade.warnings
    mask = _plan(small_mask_rcnn(3), exclude=['cls_score', 'bbox_pred', 'mask_fcn_logits'])
    by = {p.pattern: p for p in mask.patterns if p.origin == 'user'}
    assert by['cls_score'].resolved == ('bbox_head.bbox_score',)
    assert by['bbox_pred'].resolved == ('bbox_head.bbox_delta',)
    assert len(by['mask_fcn_logits'].matched) == 2


def test_detection_mode_leaves_exactly_the_class_layers_fresh():
    """A COCO-80 checkpoint into 3-class models without class names: everything loads but the
    declared class-dependent layers (Cascade without a mask head declares no mask layer)."""
    for src, dst, fresh in (
            (small_cascade_rcnn(80), small_cascade_rcnn(3),
             {f'bbox_head.bbox_score_stage{k}' for k in range(3)}),
            (small_cascade_rcnn(80, with_mask=True), small_cascade_rcnn(3, with_mask=True),
             {f'bbox_head.bbox_score_stage{k}' for k in range(3)} |
             {'mask_head.mask_fcn_logits'}),
            (small_mask_rcnn(80), small_mask_rcnn(3),
             {'bbox_head.bbox_score', 'bbox_head.bbox_delta', 'mask_head.mask_fcn_logits'})):
        assert set(dst.class_layouts) == fresh
        sd = {k: v.numpy() for k, v in src.state_dict().items()}
        rep = load_pretrain_weights(dst, sd, apply=False, policy=None, mode='detection')
        not_loaded = {r.name.rsplit('.', 1)[0] for r in rep.records if r.status != 'loaded'}
        assert not_loaded == fresh, sorted(not_loaded ^ fresh)
        assert not [p for p in rep.patterns if p.origin == 'class_layouts' and not p.matched]
