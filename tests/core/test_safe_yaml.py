"""Loading a config never runs code; YAML 1.2 scalars (defect 4)."""
import os

import pytest

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import load_config


def test_python_tags_are_refused_and_nothing_runs(write, tmp_path):
    marker = tmp_path / 'pwned'
    path = write('evil.yml', f'''
        epoch: 1
        weights: !!python/object/apply:os.system ["touch {marker}"]
    ''')
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert 'evil.yml:2' in str(e.value) and '!!python/object/apply:os.system' in str(e.value)
    assert not marker.exists()


@pytest.mark.parametrize('text', [
    'x: !!python/name:os.system\n',
    'x: !!python/object/new:subprocess.Popen [["touch", "MARK"]]\n',
    'x: !!binary aGVsbG8=\n',
])
def test_other_unsafe_tags_are_refused(write, tmp_path, text):
    marker = tmp_path / 'MARK'
    with pytest.raises(ConfigError, match=r'x\.yml:1'):
        load_config(write('x.yml', text.replace('MARK', str(marker))))
    assert not marker.exists()


def test_unknown_tag_names_file_line_and_suggests(write):
    with pytest.raises(ConfigError) as e:
        load_config(write('t.yml', 'epoch: 2\nTrainDataset: !CfgTestDataSett {dataset_dir: x}\n'))
    assert 't.yml:2' in str(e.value) and 'CfgTestDataSet' in str(e.value)


def test_yaml_12_scalars_in_files(write):
    cfg = load_config(write('s.yml', '''
        LearningRate: {base_lr: 1e-3}
        CfgTestDataSet: {dataset_dir: yes}
        CfgTestBackbone: {norm_type: on}
    '''))
    assert cfg.LearningRate.base_lr == 0.001 and isinstance(cfg.LearningRate.base_lr, float)
    assert cfg.CfgTestDataSet.dataset_dir == 'yes'
    assert cfg.CfgTestBackbone.norm_type == 'on'


def test_duplicate_keys_are_an_error(write):
    with pytest.raises(ConfigError, match=r'd\.yml:3: duplicate key .epoch. \(first at line 1\)'):
        load_config(write('d.yml', 'epoch: 1\nnum_classes: 2\nepoch: 3\n'))


def test_invalid_yaml_names_the_line(write):
    with pytest.raises(ConfigError, match=r'bad\.yml:2'):
        load_config(write('bad.yml', 'epoch: 1\n  num_classes: [2\n'))
