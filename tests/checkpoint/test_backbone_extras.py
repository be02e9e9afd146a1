"""A bare ImageNet backbone file (names without `backbone.`) for a detector whose backbone has
extra layers (SSD's conv7_*): those start fresh and are reported; a real gap in the backbone is
still refused, and both remedies the refusal names work."""
import numpy as np
import pytest

from ppdet.checkpoint import LoadPolicy, load_pretrain_weights, render_load_report
from ppdet.core.errors import WeightsError
from tests.checkpoint._models import (SSD_BCCD, TinyYolo, assert_applied_as_planned,
                                      build_from_config, randomize, state_arrays)


EXTRA = ('backbone layers after the last one this backbone-only checkpoint has (detection extra '
         'layers, not part of a classifier)')


@pytest.fixture(scope='module')
def ssd_and_imagenet():
    source = build_from_config(SSD_BCCD)
    randomize(source, 4)
    imagenet = {k[len('backbone.'):]: v.numpy() for k, v in source.state_dict().items()
                if k.startswith('backbone.') and '.conv7_' not in k}
    imagenet['fc7_weights'] = np.zeros((256, 1000), np.float32)  # the classifier's own layer
    return imagenet


@pytest.mark.parametrize('mode', ['classification', 'detection'])
def test_ssd_from_an_imagenet_mobilenet_starts_the_extra_layers_fresh(ssd_and_imagenet, mode):
    model = build_from_config(SSD_BCCD)
    before = state_arrays(model)
    rep = load_pretrain_weights(model, ssd_and_imagenet, mode=mode)
    assert_applied_as_planned(before, model, ssd_and_imagenet, rep)
    extra = [r for r in rep.records if r.name.startswith('backbone.conv7_')]
    assert len(extra) == 40
    assert all(r.status == 'missing' and r.reason == EXTRA for r in extra)
    other = [r for r in rep.records if r.name.startswith('backbone.') and r not in extra]
    assert other and all(r.status == 'loaded' for r in other)
    assert f'missing from checkpoint, kept fresh — {EXTRA} (40)' in \
        render_load_report(rep)
    assert rep.unexpected_keys == ['fc7_weights']


def _backbone_file(without):
    src = TinyYolo(3)
    randomize(src, 5)
    return {k[len('backbone.'):]: v.numpy() for k, v in src.state_dict().items()
            if k.startswith('backbone.') and not k.startswith(without)}


def test_a_gap_in_the_backbone_is_refused_and_both_remedies_work():
    ckpt = _backbone_file(without='backbone.stem.')  # the first layer missing, not an extra
    with pytest.raises(WeightsError, match='backbone is not fully loaded') as e:
        load_pretrain_weights(TinyYolo(3), ckpt, mode='classification')
    # remedy 1: exclude them explicitly
    rep = load_pretrain_weights(TinyYolo(3), ckpt, mode='classification',
                                exclude=['backbone.stem.*'])
    assert rep.record('backbone.stem.conv.weight').reason == "pattern 'backbone.stem.*'"
    assert rep.record('backbone.stage.conv.weight').status == 'loaded'
    assert "finetune_exclude_pretrained_params: ['backbone.stem.*']" in str(e.value)  # as said
    # remedy 2: require_full_backbone: false
    rep = load_pretrain_weights(TinyYolo(3), ckpt, mode='classification',
                                policy=LoadPolicy(require_full_backbone=False))
    assert rep.record('backbone.stem.conv.weight').status == 'missing'


def test_a_detector_checkpoint_gets_no_extra_layer_allowance():
    src = TinyYolo(3)
    ckpt = {k: v.numpy() for k, v in src.state_dict().items()
            if not k.startswith('backbone.stage.')}  # trailing backbone layer missing
    with pytest.raises(WeightsError, match='backbone is not fully loaded'):
        load_pretrain_weights(TinyYolo(3), ckpt)
