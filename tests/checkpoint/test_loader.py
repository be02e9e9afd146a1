"""load_pretrain_weights on real paddle models: modes, patterns, shapes, suffix matching,
policy, and the structured report."""
import numpy as np
import paddle
import pytest

from ppdet.checkpoint import (COCO80_CLASS_NAMES, LoadPolicy, load_pretrain_weights,
                              render_load_report, save_checkpoint)
from ppdet.core.errors import WeightsError
from tests.checkpoint._models import TinyYolo, randomize


def _save(model, path, class_names=None):
    return save_checkpoint(str(path), model, class_names=class_names,
                           update_latest=False).pdparams


def _eq(a, b):
    return np.array_equal(a.numpy(), b.numpy())


@pytest.fixture
def src80(tmp_path):
    m = TinyYolo(80)
    randomize(m, 1)
    return m, _save(m, tmp_path / 'coco80', COCO80_CLASS_NAMES)


def test_detection_mode_class_layers_excluded_without_names(src80):
    src, path = src80
    dst = TinyYolo(3)
    rep = load_pretrain_weights(dst, path)  # no target class names: heads not restored
    assert {r.name for r in rep.by_status('excluded')} == {
        f'yolo_head.yolo_output.{i}.{p}' for i in range(2) for p in ('weight', 'bias')}
    assert len(rep.by_status('loaded')) == len(dst.state_dict()) - 4
    assert _eq(dst.backbone.stem.batch_norm._mean, src.backbone.stem.batch_norm._mean)
    assert rep.classes.source_names == COCO80_CLASS_NAMES
    assert 'metadata' in rep.classes.source_policy
    text = render_load_report(rep)
    assert 'yolo_head.yolo_output.{0,1}.{weight,bias}' in text
    assert 'backbone' in text and '100.0%' in text


def test_shape_mismatch_skipped_and_reported_when_not_declared(src80):
    _, path = src80
    dst = TinyYolo(3)
    dst.class_layouts = {}  # an architecture that declares nothing
    rep = load_pretrain_weights(dst, path)
    shapes = {n: (a, b) for n, a, b in rep.incorrect_shapes}
    assert shapes['yolo_head.yolo_output.0.weight'] == ((255, 16, 1, 1), (24, 16, 1, 1))
    assert len(rep.by_status('shape_mismatch')) == 4


def test_full_mode_refuses_mismatch(src80):
    _, path = src80
    with pytest.raises(WeightsError, match='full restores everything') as e:
        load_pretrain_weights(TinyYolo(3), path, mode='full')
    assert e.value.report.mode == 'full'


def test_full_mode_same_classes_loads_everything(src80):
    src, path = src80
    dst = TinyYolo(80)
    rep = load_pretrain_weights(dst, path, mode='full')
    assert len(rep.by_status('loaded')) == len(dst.state_dict())
    assert _eq(dst.yolo_head.yolo_output[1].weight, src.yolo_head.yolo_output[1].weight)


def test_classification_mode_backbone_only(src80):
    src, path = src80
    dst = TinyYolo(80)
    rep = load_pretrain_weights(dst, path, mode='classification')
    loaded = {r.name for r in rep.by_status('loaded')}
    assert loaded == {n for n in dst.state_dict() if n.startswith('backbone.')}
    assert not _eq(dst.neck.conv.weight, src.neck.conv.weight)
    assert all(r.reason == 'mode classification' for r in rep.by_status('excluded'))


def test_patterns_regex_wildcard_name_and_unmatched_suggestions(src80):
    _, path = src80
    dst = TinyYolo(3)
    rep = load_pretrain_weights(dst, path, exclude=['neck.*', r'^backbone\.stage\.conv',
                                                    'batch_norm', 'cls_score', '^conv2d_'],
                                policy=None)
    by_pat = {p.pattern: p for p in rep.patterns}
    assert by_pat['neck.*'].kind == 'wildcard'
    assert set(by_pat['neck.*'].matched) == {n for n in dst.state_dict() if n.startswith('neck.')}
    assert by_pat[r'^backbone\.stage\.conv'].matched == ('backbone.stage.conv.weight',)
    assert 'backbone.stem.batch_norm._mean' in by_pat['batch_norm'].matched
    assert by_pat['cls_score'].matched == ()
    assert 'bbox_head.bbox_score' in by_pat['cls_score'].suggestion
    assert 'ssd_head.scores' in by_pat['^conv2d_'].suggestion
    assert any("'cls_score' matched nothing" in w for w in rep.warnings)
    rec = rep.record('neck.conv.weight')
    assert rec.status == 'excluded' and rec.reason == "pattern 'neck.*'"


def test_legacy_yolo_output_name_matches_our_names(src80):
    _, path = src80
    rep = load_pretrain_weights(TinyYolo(3), path, exclude=['yolo_output'])
    pat = [p for p in rep.patterns if p.pattern == 'yolo_output'][0]
    assert len(pat.matched) == 4


def test_backbone_only_checkpoint_by_suffix(tmp_path):
    src = TinyYolo(3)
    randomize(src, 3)
    imagenet = {k[len('backbone.'):]: v.numpy() for k, v in src.state_dict().items()
                if k.startswith('backbone.')}
    imagenet['fc.weight'] = np.zeros((16, 1000), np.float32)
    dst = TinyYolo(3)
    rep = load_pretrain_weights(dst, imagenet, mode='classification')
    assert rep.matching == 'exact+suffix'
    assert rep.record('backbone.stem.conv.weight').source_name == 'stem.conv.weight'
    assert _eq(dst.backbone.stage.batch_norm._variance, src.backbone.stage.batch_norm._variance)
    assert rep.unexpected_keys == ['fc.weight']


def test_suffix_ambiguity_names_both(tmp_path):
    dst = TinyYolo(3)
    ckpt = {'weight': np.zeros((16,), np.float32)}  # neck.conv / neck.batch_norm equally close
    with pytest.raises(WeightsError,
                       match="'neck.batch_norm.weight' and 'neck.conv.weight'"):
        load_pretrain_weights(dst, ckpt, policy=None)


def test_suffix_prefers_the_closest_candidate():
    dst = TinyYolo(3)
    w = np.full((16,), 3.0, np.float32)
    rep = load_pretrain_weights(dst, {'batch_norm.weight': w, 'x.y': w}, policy=None)
    # `neck.batch_norm.weight` (1 extra segment) beats `backbone.stage.batch_norm.weight` (2)
    assert rep.record('neck.batch_norm.weight').status == 'loaded'
    assert rep.record('backbone.stage.batch_norm.weight').status == 'missing'


def test_policy_refuses_partial_backbone(src80):
    _, path = src80
    ckpt = {k: v.numpy() for k, v in TinyYolo(80).state_dict().items()}
    ckpt['backbone.stage.conv.weight'] = np.zeros((16, 8, 5, 5), np.float32)
    dst = TinyYolo(80)
    before = dst.neck.conv.weight.numpy()
    with pytest.raises(WeightsError, match='backbone is not fully loaded'):
        load_pretrain_weights(dst, ckpt)
    assert np.array_equal(dst.neck.conv.weight.numpy(), before)  # refused: model untouched
    rep = load_pretrain_weights(dst, ckpt, policy=LoadPolicy(require_full_backbone=False))
    assert rep.record('backbone.stage.conv.weight').status == 'shape_mismatch'


def test_policy_refuses_wrong_file():
    wrong = {f'layer{i}.weight': np.zeros(3, np.float32) for i in range(50)}
    with pytest.raises(WeightsError, match='probably not a checkpoint of this model'):
        load_pretrain_weights(TinyYolo(3), wrong, policy=LoadPolicy(require_full_backbone=False))


def test_plan_only_does_not_touch_model(src80):
    _, path = src80
    dst = TinyYolo(3)
    before = dst.backbone.stem.conv.weight.numpy()
    rep = load_pretrain_weights(dst, path, apply=False)
    assert not rep.applied and 'plan only' in render_load_report(rep)
    assert np.array_equal(dst.backbone.stem.conv.weight.numpy(), before)


def test_plain_paddle_save_file_loads(tmp_path):
    src = TinyYolo(3)
    randomize(src, 5)
    paddle.save(src.state_dict(), str(tmp_path / 'plain.pdparams'))
    dst = TinyYolo(3)
    rep = load_pretrain_weights(dst, str(tmp_path / 'plain'))  # path without suffix
    assert 'unknown' in rep.classes.source_policy
    assert _eq(dst.neck.batch_norm.weight, src.neck.batch_norm.weight)


def test_nested_model_entry_is_unwrapped(tmp_path):
    src = TinyYolo(3)
    randomize(src, 9)
    paddle.save({'model': src.state_dict(), 'epoch': 4}, str(tmp_path / 'n.pdparams'))
    dst = TinyYolo(3)
    rep = load_pretrain_weights(dst, str(tmp_path / 'n.pdparams'), mode='full')
    assert any("'model' entry" in w for w in rep.warnings)
    assert _eq(dst.yolo_head.yolo_output[0].weight, src.yolo_head.yolo_output[0].weight)
