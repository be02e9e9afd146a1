"""Legacy names of the transfer-learning guide resolve to the names each model has, are applied,
and the report says what they resolved to; one without a counterpart says what it stands for."""
import pytest

from ppdet.checkpoint import apply_freeze, load_pretrain_weights, render_load_report
from ppdet.benchmark.shape_model import ShapeTreeLayer
from tests.checkpoint._models import BCCD_NAMES, SSD_BCCD, TinyYolo, build_from_config


def _plan(model, exclude, **kw):
    sd = {k: v.numpy() for k, v in model.state_dict().items()}
    return load_pretrain_weights(model, sd, exclude=exclude, apply=False, policy=None, **kw)


def test_ssd_conv2d_legacy_pattern_excludes_the_score_convs():
    model = build_from_config(SSD_BCCD)
    rep = _plan(model, ['^conv2d_'], target_class_names=BCCD_NAMES)
    assert not rep.warnings
    assert rep.record('ssd_head.scores3.bias').reason == "pattern '^conv2d_'"
    assert rep.record('ssd_head.boxes3.bias').status == 'loaded'
    pattern = [p for p in rep.patterns if p.pattern == '^conv2d_'][0]
    assert pattern.matched == tuple(f'ssd_head.scores{i}.{p}' for i in range(6)
                                    for p in ('weight', 'bias'))
    assert pattern.resolved == ('ssd_head.scores',)
    assert '^conv2d_ -> ssd_head.scores (legacy name)' in render_load_report(rep)
    frozen = apply_freeze(model, ['^conv2d_'])  # freeze_params resolves the same way
    assert set(frozen.frozen) == set(pattern.matched)


def _rcnn(stages):
    """State-dict layout of R-CNN heads (Faster: stages=None; Cascade: 3 stages)."""
    suffixes = [''] if stages is None else [f'_stage{i}' for i in range(stages)]
    specs = [('backbone.conv1.weight', (8, 3, 3, 3), 'float32')]
    for s in suffixes:
        specs += [(f'bbox_head.bbox_score{s}.weight', (16, 4), 'float32'),
                  (f'bbox_head.bbox_score{s}.bias', (4,), 'float32'),
                  (f'bbox_head.bbox_delta{s}.weight', (16, 12), 'float32'),
                  (f'bbox_head.bbox_delta{s}.bias', (12,), 'float32')]
    return specs


@pytest.mark.parametrize('stages,score,delta', [
    (None, ('bbox_head.bbox_score',), ('bbox_head.bbox_delta',)),
    (3, tuple(f'bbox_head.bbox_score_stage{i}' for i in range(3)),
     tuple(f'bbox_head.bbox_delta_stage{i}' for i in range(3)))])
def test_rcnn_legacy_names_resolve_to_the_heads_the_model_has(stages, score, delta):
    rep = _plan(ShapeTreeLayer(_rcnn(stages)), ['cls_score', 'bbox_pred'])
    assert rep.record(score[-1] + '.weight').reason == "pattern 'cls_score'"
    assert rep.record(delta[0] + '.bias').reason == "pattern 'bbox_pred'"
    by = {p.pattern: p for p in rep.patterns}
    assert len(by['cls_score'].matched) == 2 * len(score)
    assert by['cls_score'].resolved == score and by['bbox_pred'].resolved == delta
    text = render_load_report(rep)
    assert f"cls_score -> {', '.join(score)} (legacy name)" in text


def test_mask_and_retinanet_legacy_names():
    model = ShapeTreeLayer([('backbone.conv1.weight', (8, 3, 3, 3), 'float32'),
                            ('mask_head.mask_fcn_logits.weight', (3, 8, 1, 1), 'float32'),
                            ('head.retina_cls.weight', (27, 8, 3, 3), 'float32')])
    rep = _plan(model, ['mask_fcn_logits', 'retnet_cls_pred_fpn'])
    by = {p.pattern: p for p in rep.patterns}
    assert by['mask_fcn_logits'].matched == ('mask_head.mask_fcn_logits.weight',)
    assert by['retnet_cls_pred_fpn'].matched == ('head.retina_cls.weight',)
    assert by['retnet_cls_pred_fpn'].resolved == ('head.retina_cls',)


def test_legacy_name_without_counterpart_says_what_it_stands_for():
    rep = _plan(TinyYolo(3), ['mask_fcn_logits', 'cls_score'])
    hint = {p.pattern: p.suggestion for p in rep.patterns if p.origin == 'user'}
    assert 'mask_head.mask_fcn_logits (Mask R-CNN); this model has no such layer' \
        in hint['mask_fcn_logits']
    assert 'bbox_head.bbox_score' in hint['cls_score']
    assert any("'mask_fcn_logits' matched nothing" in w for w in rep.warnings)
