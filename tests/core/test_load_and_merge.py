"""_BASE_ includes, deep merge, provenance and independence of configs."""
import copy
import os

import pytest

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import (annotated_yaml, create, load_config, merge_config,
                                  resolved_yaml)


def test_two_levels_of_base_merge_deeply(layered):
    cfg = load_config(layered)
    assert cfg.num_classes == 3                       # including file wins
    assert cfg.CfgTestBackbone.depth == 18            # deep merge keeps sibling keys ...
    assert cfg.CfgTestBackbone.return_idx == [1, 2, 3]
    assert cfg.architecture == 'CfgTestArch'          # ... from two levels down
    assert [os.path.basename(f) for f in cfg.files] == ['common.yml', 'model.yml', 'top.yml']


def test_base_as_a_single_string_is_one_file(write):
    # PaddleDetection iterated a string _BASE_ letter by letter (defect 5).
    write('base.yml', 'num_classes: 7\n')
    cfg = load_config(write('top.yml', '_BASE_: base.yml\nepoch: 3\n'))
    assert cfg.num_classes == 7 and cfg.epoch == 3


def test_base_paths_are_relative_to_the_including_file(write, tmp_path, monkeypatch):
    write('a/b/base.yml', 'num_classes: 5\n')
    top = write('a/top.yml', '_BASE_: [b/base.yml]\n')
    monkeypatch.chdir(tmp_path.parent)
    assert load_config(top).num_classes == 5


def test_later_bases_override_earlier_and_lists_are_replaced(write):
    write('one.yml', 'CfgTestBackbone: {return_idx: [0, 1, 2, 3], depth: 34}\n')
    write('two.yml', 'CfgTestBackbone: {return_idx: [3]}\n')
    cfg = load_config(write('top.yml', '_BASE_: [one.yml, two.yml]\n'))
    assert cfg.CfgTestBackbone.return_idx == [3]
    assert cfg.CfgTestBackbone.depth == 34


def test_base_cycle_prints_the_chain(write):
    # PaddleDetection ended in RecursionError (defect 5).
    write('a.yml', '_BASE_: [b.yml]\n')
    write('b.yml', '_BASE_: [c.yml]\n')
    write('c.yml', '_BASE_: [a.yml]\n')
    with pytest.raises(ConfigError) as e:
        load_config(write('a.yml', '_BASE_: [b.yml]\n'))
    assert 'a.yml -> ' in str(e.value) and 'b.yml -> ' in str(e.value)
    assert 'c.yml -> ' in str(e.value) and 'cycle' in str(e.value)


def test_missing_base_names_the_including_file(write):
    with pytest.raises(ConfigError, match=r'nothere\.yml.*included from .*top\.yml'):
        load_config(write('top.yml', '_BASE_: nothere.yml\n'))


def test_two_configs_in_one_process_are_independent(write):
    # PaddleDetection's global registry stored loaded values: the second config inherited
    # keys of the first, and inline {name: X} mappings wrote into X's global entry (defect 1).
    a = load_config(write('a.yml', '''
        CfgTestBackbone: {depth: 101}
        CfgTestHead: {loss: {name: CfgTestLoss, weight: 9.0}}
    '''))
    first = create('CfgTestHead', a)
    b = load_config(write('b.yml', 'num_classes: 4\n'))
    assert create('CfgTestBackbone', b).depth == 50
    assert create('CfgTestLoss', b).weight == 1.0
    assert create('CfgTestLoss', a).weight == 1.0      # the inline mapping was for that use only
    assert first.loss.weight == 9.0


def test_building_never_changes_the_config(layered):
    cfg = load_config(layered)
    before = copy.deepcopy(dict(cfg))
    model = create(cfg.architecture, cfg)
    model.backbone.return_idx.append(99)
    model.head.anchors[0][0] = -1
    reader = create('CfgTestReader', cfg)
    reader.sample_transforms[0].target_size[0] = 1
    assert dict(cfg) == before


def test_shared_key_precedence(write):
    cfg = load_config(write('c.yml', '''
        num_classes: 3
        CfgTestHead: {}
        CfgTestReader: {num_classes: 7}
    '''))
    assert create('CfgTestHead', cfg).num_classes == 3      # top-level beats default
    assert create('CfgTestReader', cfg).num_classes == 7    # own section beats top-level
    empty = load_config(write('d.yml', 'epoch: 1\n'))
    assert create('CfgTestHead', empty).num_classes == 80   # default


def test_component_references_and_inline_forms(layered, write):
    cfg = load_config(layered)
    model = create('CfgTestArch', cfg)
    assert model.backbone.depth == 18
    assert model.head.in_channels == [128, 256, 512]        # from_config derived it
    assert model.head.loss.weight == 2.0                     # built from the CfgTestLoss section
    nameless = load_config(write('n.yml', 'CfgTestHead: {loss: {ignore_thresh: 0.3}}\n'))
    assert create('CfgTestHead', nameless).loss.ignore_thresh == 0.3


def test_tag_and_name_forms_give_the_same_dataset(write):
    tag = load_config(write('t.yml', 'TrainDataset: !CfgTestDataSet {dataset_dir: d}\n'))
    name = load_config(write('n.yml', 'TrainDataset: {name: CfgTestDataSet, dataset_dir: d}\n'))
    assert dict(tag) == dict(name)
    for cfg in (tag, name):
        merge_config(cfg, ['TrainDataset.dataset_dir=x'])   # #7651, #8674 in PaddleDetection
        ds = create('TrainDataset', cfg)
        assert ds.dataset_dir == 'x'


def test_lr_schedulers_in_both_forms(layered):
    cfg = load_config(layered)
    lr = create('LearningRate', cfg)
    assert [type(s).__name__ for s in lr.schedulers] == ['PiecewiseDecay', 'LinearWarmup']
    assert lr.lr_at(1000, 100) == pytest.approx(0.001)


def test_resolved_yaml_round_trips(layered, write):
    cfg = merge_config(load_config(layered), ['LearningRate.base_lr=1e-3'])
    again = load_config(write('resolved.yml', resolved_yaml(cfg)))
    assert dict(again) == dict(cfg)


def test_every_value_knows_where_it_came_from(layered):
    # Nothing showed where a value came from in PaddleDetection (defect 6).
    cfg = merge_config(load_config(layered), ['CfgTestLoss.weight=3'])
    assert cfg.where(('CfgTestBackbone', 'depth')).endswith('top.yml:4')
    assert cfg.where(('CfgTestBackbone', 'return_idx')).endswith('common.yml:5')
    assert cfg.where(('CfgTestLoss', 'weight')) == '-o CfgTestLoss.weight=3'
    text = annotated_yaml(cfg)
    assert 'depth: 18  # ' in text and 'top.yml:4' in text
    assert 'weight: 3  # -o CfgTestLoss.weight=3' in text
