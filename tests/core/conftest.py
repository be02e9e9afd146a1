import os
import textwrap

import pytest

from tests.core import components  # noqa: F401  (registers the test components)


@pytest.fixture
def write(tmp_path):
    """write('name.yml', text) -> path: a real config file in a temp folder."""
    def _write(name: str, text: str) -> str:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip('\n'))
        return str(path)
    return _write


@pytest.fixture
def layered(write):
    """A config with two levels of _BASE_ (top -> _base_/model.yml -> _base_/common.yml)."""
    write('_base_/common.yml', '''
        num_classes: 80
        norm_type: bn
        CfgTestBackbone:
          depth: 50
          return_idx: [1, 2, 3]
        LearningRate:
          base_lr: 0.01
          schedulers:
            - !PiecewiseDecay {gamma: 0.1, milestones: [8, 11]}
            - name: LinearWarmup
              steps: 100
        TrainDataset: !CfgTestDataSet
          dataset_dir: data/a
          anno_path: train.txt
    ''')
    write('_base_/model.yml', '''
        _BASE_: common.yml
        architecture: CfgTestArch
        CfgTestArch:
          backbone: CfgTestBackbone
          head: CfgTestHead
        CfgTestHead:
          anchors: [[1, 2], [3, 4]]
          loss: CfgTestLoss
        CfgTestLoss:
          weight: 2.0
          ignore_thresh: 0.5
        CfgTestReader:
          sample_transforms:
            - CfgTestResizeOp: {target_size: [320, 320]}
            - CfgTestOp: {prob: 0.5}
          batch_size: 8
    ''')
    return write('top.yml', '''
        _BASE_: [_base_/model.yml]
        num_classes: 3
        CfgTestBackbone:
          depth: 18
    ''')
