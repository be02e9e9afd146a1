"""The load plan says what is done, in every mode: class order in `full`, patterns over
class-aware transfer, unknown class names, case and spelling of class names, and the
`allow_shape_mismatch` policy. Every model tensor is checked against its record."""
import numpy as np
import paddle
import pytest

from ppdet.checkpoint import (COCO80_CLASS_NAMES, LoadPolicy, load_pretrain_weights,
                              render_load_report, save_checkpoint)
from ppdet.checkpoint.config_bridge import load_policy_from
from ppdet.core.errors import WeightsError
from tests.checkpoint._models import (BCCD_NAMES, TinyYolo, assert_applied_as_planned,
                                      randomize, state_arrays)

REVERSED = BCCD_NAMES[::-1]  # Platelets, WBC, RBC


def _per_anchor(out, num_classes):
    b, _, h, w = out.shape
    return out.numpy().reshape(b, 3, 5 + num_classes, h, w)


def _assert_predicts_by_name(src, dst, src_names, dst_names, only=None):
    """Each class the target shares with the source (or those in `only`) scores exactly as the
    source's class of the same name (box and objectness channels too)."""
    src.eval(), dst.eval()
    x = paddle.rand([1, 3, 8, 8])
    for s, d in zip(src(x), dst(x)):
        s, d = _per_anchor(s, len(src_names)), _per_anchor(d, len(dst_names))
        assert np.array_equal(d[:, :, :5], s[:, :, :5])
        lower = [n.lower() for n in src_names]
        for ti, name in enumerate(dst_names):
            if only is not None and name not in only:
                continue
            assert np.array_equal(d[:, :, 5 + ti], s[:, :, 5 + lower.index(name.lower())]), name


def _load(model, source, ckpt, checks, **kw):
    """Load, and queue the check that the model holds what the plan says (run it with
    `_run(checks)` after the behavioural assertions, so those speak first)."""
    before = state_arrays(model)
    rep = load_pretrain_weights(model, source, **kw)
    checks.append(lambda: assert_applied_as_planned(before, model, ckpt, rep))
    return rep


def _run(checks):
    for check in checks:
        check()


def _header(rep):
    return [l for l in render_load_report(rep).splitlines() if 'class-dependent layers' in l][0]


@pytest.fixture
def bccd_ckpt(tmp_path):
    src = TinyYolo(3)
    randomize(src, 1)
    path = save_checkpoint(str(tmp_path / 'bccd'), src, class_names=BCCD_NAMES,
                           update_latest=False).pdparams
    return src, path, state_arrays(src)


@pytest.fixture
def coco_ckpt(tmp_path):
    src = TinyYolo(80)
    randomize(src, 2)
    path = save_checkpoint(str(tmp_path / 'coco'), src, class_names=COCO80_CLASS_NAMES,
                           update_latest=False).pdparams
    return src, path, state_arrays(src)


# -- defect 1: full mode with the same classes in another order --------------------------------
def test_full_mode_with_reordered_classes_loads_the_head_by_name(bccd_ckpt):
    src, path, ckpt = bccd_ckpt
    dst, checks = TinyYolo(3), []
    rep = _load(dst, path, ckpt, checks, mode='full', target_class_names=REVERSED)
    _assert_predicts_by_name(src, dst, BCCD_NAMES, REVERSED)
    assert 'Platelets<-2, WBC<-1, RBC<-0' in render_load_report(rep)
    assert {r.status for r in rep.records if r.class_dependent} == {'transferred'}
    _run(checks)


def test_full_mode_refuses_reordered_classes_it_may_not_reorder(bccd_ckpt):
    src, path, ckpt = bccd_ckpt
    dst = TinyYolo(3)
    before = state_arrays(dst)
    with pytest.raises(WeightsError) as e:
        load_pretrain_weights(dst, path, mode='full', class_aware=False,
                              target_class_names=REVERSED)
    msg = str(e.value)
    assert '3 classes [RBC, WBC, Platelets]' in msg and '3 classes [Platelets, WBC, RBC]' in msg
    assert 'another order' in msg
    assert all(np.array_equal(v, before[k]) for k, v in state_arrays(dst).items())
    checks = []
    # remedy 1: a label list in the checkpoint's order
    rep = _load(TinyYolo(3), path, ckpt, checks, mode='full', class_aware=False,
                target_class_names=BCCD_NAMES)
    assert len(rep.by_status('loaded')) == len(rep.records)
    # remedy 2: class_aware_transfer: true (the default) copies the head by name
    dst = TinyYolo(3)
    _load(dst, path, ckpt, checks, mode='full', class_aware=True, target_class_names=REVERSED)
    _assert_predicts_by_name(src, dst, BCCD_NAMES, REVERSED)
    _run(checks)


def test_full_mode_refuses_new_classes_and_detection_is_the_remedy(bccd_ckpt):
    src, path, ckpt = bccd_ckpt
    with pytest.raises(WeightsError, match=r"not in the checkpoint \(Neutrophil\)") as e:
        load_pretrain_weights(TinyYolo(3), path, mode='full',
                              target_class_names=['WBC', 'RBC', 'Neutrophil'])
    assert 'fine_tune_checkpoint_type: detection' in str(e.value)
    dst, checks = TinyYolo(3), []
    rep = _load(dst, path, ckpt, checks, mode='detection',
                target_class_names=['WBC', 'RBC', 'Neutrophil'])
    assert rep.classes.new == ('Neutrophil',)
    _assert_predicts_by_name(src, dst, BCCD_NAMES, ['WBC', 'RBC', 'Neutrophil'],
                             only=['WBC', 'RBC'])
    _run(checks)


# -- defect 4: one's own checkpoint without metadata in detection mode --------------------------
def test_own_checkpoint_without_metadata_warns_that_trained_heads_are_dropped(tmp_path):
    src = TinyYolo(3)
    randomize(src, 3)
    path = str(tmp_path / 'own.pdparams')
    paddle.save(src.state_dict(), path)  # no .meta.json: class names unknown
    ckpt, checks = state_arrays(src), []
    rep = _load(TinyYolo(3), path, ckpt, checks, target_class_names=BCCD_NAMES)
    warning = [w for w in rep.warnings if 'NOT loaded' in w]
    assert len(warning) == 1
    assert 'pretrain_class_names' in warning[0]
    assert 'fine_tune_checkpoint_type: full' in warning[0]
    assert f'warning: {warning[0]}' in render_load_report(rep)
    assert {r.status for r in rep.records if r.name.startswith('yolo_head.')} == {'excluded'}
    # remedy 1: pretrain_class_names -> same classes in the same order: loaded as is
    dst = TinyYolo(3)
    rep = _load(dst, path, ckpt, checks, target_class_names=BCCD_NAMES,
                source_class_names=BCCD_NAMES)
    assert len(rep.by_status('loaded')) == len(rep.records) and not rep.warnings
    # remedy 2: full -> loaded by position, and the report says so
    dst = TinyYolo(3)
    rep = _load(dst, path, ckpt, checks, mode='full', target_class_names=BCCD_NAMES)
    assert len(rep.by_status('loaded')) == len(rep.records)
    assert any('loaded by position' in w for w in rep.warnings)
    _assert_predicts_by_name(src, dst, BCCD_NAMES, BCCD_NAMES)
    _run(checks)


# -- defect 6: a user pattern over class-dependent layers --------------------------------------
def test_patterns_take_precedence_over_class_transfer_and_the_header_says_so(coco_ckpt):
    src, path, ckpt = coco_ckpt
    target, checks = ['car', 'person', 'unicorn'], []
    rep = _load(TinyYolo(3), path, ckpt, checks, target_class_names=target,
                exclude=['yolo_head.yolo_output.1'])
    assert rep.record('yolo_head.yolo_output.0.weight').status == 'transferred'
    assert rep.record('yolo_head.yolo_output.1.weight').reason == \
        "pattern 'yolo_head.yolo_output.1'"
    header = _header(rep)
    assert '2 copied by class name (2 of 3 classes)' in header
    assert "2 excluded by your patterns ('yolo_head.yolo_output.1')" in header
    assert any('patterns take precedence' in w for w in rep.warnings)
    assert rep.classes.tensors_transferred == 2
    # every class-dependent tensor excluded: nothing is claimed as copied
    rep = _load(TinyYolo(3), path, ckpt, checks, target_class_names=target,
                exclude=['yolo_output'])
    text = render_load_report(rep)
    assert 'kept' not in text and 'copied by class name' not in text
    assert "4 excluded by your patterns ('yolo_output')" in _header(rep)
    assert rep.classes.tensors_transferred == 0
    _run(checks)


# -- defect 9: class names match without regard to case; near misses are named --------------------
def test_class_names_match_any_case_and_near_misses_are_named(coco_ckpt):
    src, path, ckpt = coco_ckpt
    dst, checks = TinyYolo(3), []
    rep = _load(dst, path, ckpt, checks, target_class_names=['Person', 'cars', 'dog'])
    assert [n for n, _, _ in rep.classes.kept] == ['Person', 'dog']
    assert rep.classes.new == ('cars',)
    hint = [w for w in rep.warnings if "class 'cars'" in w]
    assert len(hint) == 1 and "but 'car' is" in hint[0]
    # remedy 1: spell it as the checkpoint does
    dst = TinyYolo(3)
    rep = _load(dst, path, ckpt, checks, target_class_names=['Person', 'car', 'dog'])
    assert len(rep.classes.kept) == 3
    _assert_predicts_by_name(src, dst, list(COCO80_CLASS_NAMES), ['Person', 'car', 'dog'])
    # remedy 2: the checkpoint's class list with your spelling in pretrain_class_names
    names = list(COCO80_CLASS_NAMES)
    names[names.index('car')] = 'cars'
    dst = TinyYolo(3)
    rep = _load(dst, path, ckpt, checks, target_class_names=['Person', 'cars', 'dog'],
                source_class_names=names)
    assert len(rep.classes.kept) == 3 and not rep.classes.new
    _assert_predicts_by_name(src, dst, names, ['Person', 'cars', 'dog'])
    _run(checks)


# -- defect 10: shape mismatches outside class-dependent layers as an error ---------------------
def test_allow_shape_mismatch_false_refuses_and_its_remedies_work(coco_ckpt):
    _, path, _ = coco_ckpt
    ckpt = {k: v.numpy() for k, v in TinyYolo(80).state_dict().items()}
    ckpt['neck.conv.weight'] = np.ones((16, 16, 1, 1), np.float32)  # model has 3x3
    target, checks = ['car', 'person', 'unicorn'], []
    strict = load_policy_from({'allow_shape_mismatch': False})
    assert strict == LoadPolicy(allow_shape_mismatch=False)
    rep = _load(TinyYolo(3), ckpt, ckpt, checks, target_class_names=target)  # fresh, listed
    assert rep.record('neck.conv.weight').status == 'shape_mismatch'
    dst = TinyYolo(3)
    before = state_arrays(dst)
    with pytest.raises(WeightsError, match='outside the class-dependent layers') as e:
        load_pretrain_weights(dst, ckpt, target_class_names=target, policy=strict)
    assert "finetune_exclude_pretrained_params: ['neck.conv.*']" in str(e.value)
    assert all(np.array_equal(v, before[k]) for k, v in state_arrays(dst).items())
    # remedy 1: exclude them explicitly, with the pattern the message gives
    rep = _load(TinyYolo(3), ckpt, ckpt, checks, target_class_names=target, policy=strict,
                exclude=['neck.conv.*'])
    assert rep.record('neck.conv.weight').reason == "pattern 'neck.conv.*'"
    # class-dependent layers are not concerned (transferred by class here)
    assert len(rep.by_status('transferred')) == 4
    # remedy 2: allow_shape_mismatch: true
    rep = _load(TinyYolo(3), ckpt, ckpt, checks, target_class_names=target,
                policy=load_policy_from({'allow_shape_mismatch': True}))
    assert rep.record('neck.conv.weight').status == 'shape_mismatch'
    _run(checks)
