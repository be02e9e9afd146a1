"""SSD configs build models whose state dicts equal PaddleDetection 2.6's, name for name,
in order, for the configs' class count and for 3 classes (BCCD)."""
import json
from pathlib import Path

import pytest

from ppdet.core.workspace import create, load_config, merge_config
from ppdet.modeling.architectures.ssd import SSD
from tests.helpers.material import shared_path

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ['ssd_mobilenet_v1_300_120e_voc', 'ssd_vgg16_300_240e_voc']


def _reference(name: str) -> dict:
    path = shared_path('reference', 'keys', f'{name}.json')
    return json.loads(path.read_text())


def _build(name: str, overrides=None):
    cfg = load_config(str(ROOT / 'configs' / 'ssd' / f'{name}.yml'))
    if overrides:
        merge_config(cfg, overrides)
    return create(cfg.architecture, cfg)


@pytest.mark.parametrize('name', CONFIGS)
def test_state_dict_equals_reference(name):
    ref = _reference(name)
    model = _build(name)
    assert isinstance(model, SSD)
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    assert ours == [(n, s) for n, s, _ in ref['params']]
    assert sum(v.size for v in model.state_dict().values()) == ref['num_parameters']


@pytest.mark.parametrize('name', CONFIGS)
def test_three_classes_change_only_the_score_convs(name):
    ref = _reference(name)
    model = _build(name, ['num_classes=3'])
    shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
    expected = {n: s for n, s, _ in ref['params']}
    for n, _, nc3 in ref['class_dependent']:
        expected[n] = nc3
    assert shapes == expected
    # the declared class layout explains every class-dependent shape: groups = priors
    for prefix, layout in SSD.class_layouts.items():
        assert prefix in ref['class_dependent_prefixes']
        w20 = dict((n, s) for n, s, _ in ref['params'])[prefix + '.weight'][0]
        w3 = shapes[prefix + '.weight'][0]
        assert layout.groups(w20, 20) == layout.groups(w3, 3) is not None


def test_bccd_config_builds_a_three_class_model():
    cfg = load_config(str(ROOT / 'configs' / 'ssd' / 'ssd_mobilenet_v1_bccd.yml'))
    assert cfg['num_classes'] == 3
    assert cfg['pretrain_weights'].endswith('ssd_mobilenet_v1_300_120e_voc.pdparams')
    model = create(cfg.architecture, cfg)
    assert list(model.state_dict()['ssd_head.scores0.weight'].shape) == [12, 512, 1, 1]
