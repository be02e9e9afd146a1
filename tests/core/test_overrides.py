"""`-o` overrides (defect 3)."""
import argparse

import pytest

from ppdet.core.cli import add_config_args, load_from_args
from ppdet.core.errors import ConfigError
from ppdet.core.workspace import create, load_config, merge_config


def _args(config, *argv):
    parser = argparse.ArgumentParser()
    add_config_args(parser)
    return parser.parse_args(['-c', config, *argv])


def test_repeated_flags_and_several_items_all_apply(layered):
    cfg = load_from_args(_args(layered, '-o', 'epoch=5', 'num_classes=4', '-o', 'log_iter=7'))
    assert (cfg.epoch, cfg.num_classes, cfg.log_iter) == (5, 4, 7)


def test_sibling_dotted_keys_at_depth_three_both_survive(layered):
    cfg = merge_config(load_config(layered), ['CfgTestArch.x.y=1', 'CfgTestArch.x.z=2'],
                       validate=False)
    assert cfg.CfgTestArch.x == {'y': 1, 'z': 2}


def test_list_items_by_index(layered):
    cfg = merge_config(load_config(layered),
                       ['CfgTestReader.sample_transforms.1.CfgTestOp.prob=0.2'])
    assert cfg.CfgTestReader.sample_transforms[1] == {'CfgTestOp': {'prob': 0.2}}
    reader = create('CfgTestReader', cfg)
    assert reader.sample_transforms[1].prob == 0.2
    assert reader.sample_transforms[0].target_size == [320, 320]


def test_list_index_out_of_range_is_clear(layered):
    with pytest.raises(ConfigError, match='index 5 is out of range.*has 2 items'):
        merge_config(load_config(layered), ['CfgTestReader.sample_transforms.5.CfgTestOp.prob=1'])


def test_field_of_a_tag_built_dataset(layered):
    cfg = merge_config(load_config(layered), ['TrainDataset.dataset_dir=elsewhere'])
    assert create('TrainDataset', cfg).dataset_dir == 'elsewhere'
    assert create('TrainDataset', cfg).anno_path == 'train.txt'


def test_yaml_12_scalars(layered):
    cfg = merge_config(load_config(layered), ['LearningRate.base_lr=1e-3',
                                              'TrainDataset.dataset_dir=yes'])
    assert cfg.LearningRate.base_lr == 0.001 and isinstance(cfg.LearningRate.base_lr, float)
    assert cfg.TrainDataset.dataset_dir == 'yes'


def test_structured_values(layered):
    cfg = merge_config(load_config(layered), ['CfgTestBackbone.return_idx=[0, 3]',
                                              "finetune_exclude_pretrained_params=['a','b']"])
    assert cfg.CfgTestBackbone.return_idx == [0, 3]
    assert cfg.finetune_exclude_pretrained_params == ['a', 'b']


def test_item_without_equals_is_an_error(layered):
    with pytest.raises(ConfigError, match='key=value'):
        merge_config(load_config(layered), ['TrainReader.batch_size'])


def test_mapping_form_of_merge_config(layered):
    cfg = merge_config(load_config(layered), {'CfgTestBackbone': {'depth': 34}, 'epoch': 2})
    assert cfg.CfgTestBackbone.depth == 34 and cfg.CfgTestBackbone.return_idx == [1, 2, 3]
    assert cfg.where(('epoch',)).startswith('-o epoch=')
