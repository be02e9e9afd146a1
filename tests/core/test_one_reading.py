"""The validator and the builder read the component syntax the same way (ppdet.core.resolve),
and the core learns top-level keys and component packages from the packages themselves."""
import os
import re

import pytest

from ppdet.core.errors import ConfigError
from ppdet.core.registry import registration_modules
from ppdet.core.toplevel import register_toplevel_keys, toplevel_key
from ppdet.core.workspace import create, load_config

CORE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__)))), 'ppdet', 'core')

# Every spelling of "build a CfgTestHead with a CfgTestLoss" the dialect allows.
SPELLINGS = {
    'class name': 'CfgTestHead: {loss: CfgTestLoss}\nCfgTestLoss: {weight: 3.0}\n',
    'name mapping': 'CfgTestHead: {loss: {name: CfgTestLoss, weight: 3.0}}\n',
    'tag': 'CfgTestHead:\n  loss: !CfgTestLoss {weight: 3.0}\n',
    'nameless mapping': 'CfgTestHead: {loss: {weight: 3.0}}\n',
    'omitted': 'CfgTestLoss: {weight: 3.0}\n',
}


@pytest.mark.parametrize('spelling', sorted(SPELLINGS))
def test_every_spelling_the_validator_accepts_builds(write, spelling):
    cfg = load_config(write('c.yml', SPELLINGS[spelling]))
    assert create('CfgTestHead', cfg).loss.weight == 3.0


def test_nameless_mapping_reaches_from_config_as_its_default_class(write):
    # from_config passes cfg['head'] to create(); a nameless mapping used to be refused there
    # ('needs name') although the validator accepted it.
    cfg = load_config(write('c.yml', 'CfgTestDetector:\n  head: {anchors: [[1, 2]]}\n'
                                     'CfgTestBackbone: {return_idx: [0, 1]}\n'))
    model = create('CfgTestDetector', cfg)
    assert model.head.anchors == [[1, 2]] and model.head.in_channels == [64, 128]
    assert model.backbone.return_idx == [0, 1]


def test_builder_refuses_what_the_validator_reports(write):
    cfg = load_config(write('c.yml', 'CfgTestHead: {loss: {name: CfgTestLos}}\n'),
                      validate=False)
    with pytest.raises(ConfigError, match=r"CfgTestHead\.loss: 'CfgTestLos' is not a "
                                          r"registered class \(did you mean: CfgTestLoss"):
        create('CfgTestHead', cfg)
    with pytest.raises(ConfigError, match=r"c\.yml:1: 'CfgTestLos' is not a registered class"):
        load_config(write('c.yml', 'CfgTestHead: {loss: {name: CfgTestLos}}\n'))


def test_declared_top_level_keys_are_typed_enumerated_and_suggested(write):
    assert load_config(write('ok.yml', 'cfg_test_mode: exact\ncfg_test_steps: 3\n'))
    with pytest.raises(ConfigError) as e:
        load_config(write('c.yml', 'cfg_test_mode: exakt\ncfg_test_steps: 1.5\ncfg_test_step: 2\n'))
    text = str(e.value)
    assert '3 problem(s)' in text
    assert "c.yml:1: cfg_test_mode must be one of fast, exact, not 'exakt' (did you mean: exact?)" \
        in text
    assert 'c.yml:2: cfg_test_steps must be an integer, got 1.5' in text
    assert "c.yml:3: unknown top-level key 'cfg_test_step' (did you mean: cfg_test_steps" in text
    cfg = load_config(write('u.yml', 'cfg_test_legacy: 1\n'))
    assert cfg.notices[0].startswith('cfg_test_legacy (') and 'only read by an old tool' in \
        cfg.notices[0]


def test_a_key_has_one_owner():
    with pytest.raises(TypeError, match="'cfg_test_mode' declared by both"):
        register_toplevel_keys('somewhere.else', {'cfg_test_mode': str})
    assert toplevel_key('cfg_test_mode').owner == 'tests.core.components'


def test_packages_declare_what_they_register_and_the_core_names_none():
    assert {'ppdet.data.registration', 'ppdet.modeling.registration',
            'ppdet.engine.registration', 'ppdet.checkpoint.registration'} \
        <= set(registration_modules())
    # the engine's, the loaders' and the models' keys arrive through them
    assert toplevel_key('epoch').owner == 'ppdet.engine.registration'
    assert toplevel_key('fine_tune_checkpoint_type').owner == 'ppdet.checkpoint.config_bridge'
    assert toplevel_key('norm_type').owner == 'ppdet.modeling.registration'
    for name in os.listdir(CORE):
        if name.endswith('.py'):
            with open(os.path.join(CORE, name), encoding='utf-8') as f:
                others = set(re.findall(r'ppdet\.([a-z_]+)', f.read())) - {'core'}
            assert not others, f'ppdet/core/{name} names {sorted(others)}'
