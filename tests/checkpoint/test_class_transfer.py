"""Class-aware head transfer: a model for a subset of the checkpoint's classes predicts the kept
classes exactly as the source model does, before any training step."""
import numpy as np
import paddle

from ppdet.checkpoint import COCO80_CLASS_NAMES, ClassLayout, load_pretrain_weights
from ppdet.checkpoint.class_channels import class_channel_map
from tests.checkpoint._models import TinyYolo, randomize

TARGET = ['car', 'person', 'unicorn']  # reordered subset plus a new class


def _per_anchor(out, num_classes):
    b, _, h, w = out.shape
    return out.numpy().reshape(b, 3, 5 + num_classes, h, w)


def _check_kept_identical(src_outs, dst_outs):
    person, car = COCO80_CLASS_NAMES.index('person'), COCO80_CLASS_NAMES.index('car')
    for s, d in zip(src_outs, dst_outs):
        s, d = _per_anchor(s, 80), _per_anchor(d, len(TARGET))
        assert np.array_equal(d[:, :, :5], s[:, :, :5])            # box + objectness
        assert np.array_equal(d[:, :, 5 + 0], s[:, :, 5 + car])
        assert np.array_equal(d[:, :, 5 + 1], s[:, :, 5 + person])
        assert not np.array_equal(d[:, :, 5 + 2], s[:, :, 5 + car])  # new class: fresh


def test_tiny_yolo_subset_predicts_like_source(tmp_path):
    src = TinyYolo(80)
    randomize(src, 11)
    dst = TinyYolo(len(TARGET))
    # no metadata class names given here on purpose -> inferred COCO-80 from 80 classes
    rep = load_pretrain_weights(dst, {k: v.numpy() for k, v in src.state_dict().items()},
                                target_class_names=TARGET)
    assert 'inferred COCO-80' in rep.classes.source_policy
    assert [n for n, _, _ in rep.classes.kept] == ['car', 'person']
    assert rep.classes.new == ('unicorn',)
    assert len(rep.by_status('transferred')) == 4
    src.eval(), dst.eval()
    x = paddle.rand([1, 3, 8, 8])
    _check_kept_identical(src(x), dst(x))


def test_class_aware_off_excludes(tmp_path):
    src = TinyYolo(80)
    rep = load_pretrain_weights(TinyYolo(3), {k: v.numpy() for k, v in src.state_dict().items()},
                                target_class_names=TARGET, class_aware=False)
    assert len(rep.by_status('transferred')) == 0
    assert len(rep.by_status('excluded')) == 4


def test_background_last_layout_keeps_background():
    lay = ClassLayout(prefix=0, per_class=1, background='last')  # SSD scores, 2 priors
    dst, src = class_channel_map(lay, 2 * 21, 20, 2 * 3, 2, [(0, 14), (1, 6)])
    assert dst.tolist() == [0, 1, 2, 3, 4, 5]
    assert src.tolist() == [14, 6, 20, 21 + 14, 21 + 6, 41]


def test_real_yolov3_subset_predicts_like_source():
    from tests.modeling._yolo_helpers import build_model
    paddle.seed(7)
    src = build_model('yolov3_mobilenet_v1_270e_coco', num_classes=80)
    dst = build_model('yolov3_mobilenet_v1_270e_coco', num_classes=len(TARGET))
    sd = {k: v.numpy() for k, v in src.state_dict().items()}
    rng = np.random.default_rng(0)
    for k in sd:  # make class channels differ from one another (zoo-like, not init-like)
        if k.startswith('yolo_head.yolo_output'):
            sd[k] = rng.standard_normal(sd[k].shape).astype(np.float32) * 0.01
    src.set_state_dict(sd)
    rep = load_pretrain_weights(dst, sd, target_class_names=TARGET)
    assert len(rep.by_status('transferred')) == 6
    assert len(rep.by_status('loaded')) == len(sd) - 6
    src.eval(), dst.eval()
    image = {'image': paddle.rand([1, 3, 64, 64])}
    with paddle.no_grad():
        s = src.yolo_head(src.neck(src.backbone(image)))
        d = dst.yolo_head(dst.neck(dst.backbone(image)))
    _check_kept_identical(s, d)
