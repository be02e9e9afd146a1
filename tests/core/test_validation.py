"""Typos and wrong types are caught before anything is built (defect 2)."""
import pytest

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import load_config, merge_config


def test_unknown_top_level_key_names_file_line_and_suggests(write):
    with pytest.raises(ConfigError) as e:
        load_config(write('c.yml', 'epoch: 2\nnum_clases: 3\n'))
    assert 'c.yml:2' in str(e.value) and 'did you mean: num_classes' in str(e.value)


def test_unknown_section_key(write):
    with pytest.raises(ConfigError) as e:
        load_config(write('c.yml', 'CfgTestBackbone: {deptth: 50}\n'))
    assert 'c.yml:1' in str(e.value) and "'deptth'" in str(e.value)
    assert 'did you mean: depth' in str(e.value)


def test_unknown_key_from_an_override_names_the_item(layered):
    with pytest.raises(ConfigError) as e:
        merge_config(load_config(layered), ['CfgTestReader.batchsize=8'])
    assert '-o CfgTestReader.batchsize=8' in str(e.value)
    assert 'did you mean: batch_size' in str(e.value)


def test_wrong_type_names_the_expected_type(write):
    with pytest.raises(ConfigError, match=r'c\.yml:2: .*depth must be an integer'):
        load_config(write('c.yml', 'CfgTestBackbone:\n  depth: fifty\n'))
    with pytest.raises(ConfigError, match='must be a list of a list of an integer'):
        load_config(write('d.yml', 'CfgTestHead: {anchors: [10, 13]}\n'))
    with pytest.raises(ConfigError, match='epoch must be an integer'):
        load_config(write('e.yml', 'epoch: 1.5\n'))


def test_unknown_class_reference_suggests_registered_names(write):
    with pytest.raises(ConfigError) as e:
        load_config(write('c.yml', 'CfgTestArch: {backbone: CfgTestBackbon, head: CfgTestHead}\n'))
    assert 'c.yml:1' in str(e.value) and 'did you mean: CfgTestBackbone' in str(e.value)
    with pytest.raises(ConfigError, match='did you mean: CfgTestArch'):
        load_config(write('d.yml', 'architecture: CfgTestArc\n'))


def test_unknown_transform_and_transform_argument(write):
    with pytest.raises(ConfigError, match='unknown transform .CfgTestOpp.*did you mean'):
        load_config(write('c.yml', 'CfgTestReader:\n  sample_transforms:\n'
                                   '    - CfgTestOpp: {prob: 1}\n'))
    with pytest.raises(ConfigError, match=r"c2\.yml:3.*'probb'.*did you mean: prob"):
        load_config(write('c2.yml', 'CfgTestReader:\n  sample_transforms:\n'
                                    '    - CfgTestOp: {probb: 1}\n'))


def test_inline_component_arguments_are_checked(write):
    with pytest.raises(ConfigError, match="'weigth'.*did you mean: weight"):
        load_config(write('c.yml', 'CfgTestHead: {loss: {name: CfgTestLoss, weigth: 1}}\n'))


def test_all_problems_are_reported_together(write):
    with pytest.raises(ConfigError) as e:
        load_config(write('c.yml', 'num_clases: 3\nepcoh: 2\n'))
    assert '2 problem(s)' in str(e.value)
    assert 'c.yml:1' in str(e.value) and 'c.yml:2' in str(e.value)


def test_enumerated_values(write):
    with pytest.raises(ConfigError, match="fine_tune_checkpoint_type must be one of.*'detectoin'"):
        load_config(write('c.yml', 'fine_tune_checkpoint_type: detectoin\n'))


def test_paddledetection_only_keys_are_accepted_and_reported(write):
    cfg = load_config(write('c.yml', 'print_flops: false\nuse_xpu: false\nepoch: 1\n'))
    assert any(n.startswith('print_flops (') and 'unused' in n for n in cfg.notices)
    assert any(n.startswith('use_xpu (') for n in cfg.notices)


def test_optimizer_mapping_keys_are_checked(write):
    with pytest.raises(ConfigError, match='optimizer.momentun.*did you mean: momentum'):
        load_config(write('c.yml', 'OptimizerBuilder:\n  optimizer: {type: Momentum, '
                                   'momentun: 0.9}\n'))
