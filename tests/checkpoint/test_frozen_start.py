"""Frozen parameters that no weights restore are named, with the `-o` items that free them;
restored ones, and running statistics that still move, are not."""
import paddle

from ppdet.checkpoint import apply_freeze, load_pretrain_weights
from ppdet.checkpoint.frozen_start import find_frozen_start, render_frozen_start
from ppdet.modeling.backbones.resnet import ResNet


class Detector(paddle.nn.Layer):
    def __init__(self, **resnet):
        super().__init__()
        self.backbone = ResNet(depth=18, return_idx=[3], **resnet)
        self.head = paddle.nn.Conv2D(512, 4, 1)


def _frozen_model():
    paddle.seed(0)
    return Detector(freeze_at=0, freeze_norm=True)


def test_from_scratch_the_frozen_stem_and_norms_are_named_with_their_remedy():
    found = find_frozen_start(_frozen_model())
    assert found.per_module == (('backbone', len(found.names)),)
    assert 'backbone.conv1.conv1.conv.weight' in found.names       # stem, freeze_at: 0
    assert 'backbone.res2.res2a.branch2a.norm.weight' in found.names  # freeze_norm
    assert 'backbone.res2.res2a.branch2a.norm._mean' in found.names   # statistics pinned
    assert found.remedies == ('ResNet.freeze_norm=false', 'ResNet.freeze_at=-1')
    text = render_frozen_start(found)
    assert 'no pretrain_weights were loaded' in text
    assert '-o ResNet.freeze_norm=false ResNet.freeze_at=-1' in text


def test_the_remedy_leaves_nothing_frozen_and_moving_statistics_are_not_counted():
    model = Detector(freeze_at=-1, freeze_norm=False)
    assert not find_frozen_start(model)
    assert render_frozen_start(find_frozen_start(model)) == ''


def test_restored_parameters_are_not_named_excluded_ones_are(tmp_path):
    source = _frozen_model()
    model = _frozen_model()
    report = load_pretrain_weights(model, source.state_dict(), mode='full', policy=None)
    assert not find_frozen_start(model, report)
    report = load_pretrain_weights(model, source.state_dict(), mode='full', policy=None,
                                   exclude=['backbone.res5*norm*'])
    found = find_frozen_start(model, report)
    assert found and all(n.startswith('backbone.res5') and '.norm.' in n for n in found.names)


def test_norms_frozen_by_freeze_params_count_with_their_statistics():
    model = Detector(freeze_at=-1, freeze_norm=False)
    apply_freeze(model, ['backbone.res2.res2a.branch2a.norm.weight'])
    found = find_frozen_start(model)
    assert set(found.names) == {f'backbone.res2.res2a.branch2a.norm.{p}'
                                for p in ('weight', 'bias', '_mean', '_variance')}
    assert 'or drop the freeze_params patterns that match them' in render_frozen_start(found)
