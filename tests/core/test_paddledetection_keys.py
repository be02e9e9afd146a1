"""Every key PaddleDetection 2.6 configs of the four families use is known (DIALECT.md)."""
import os

import pytest

from ppdet.core.workspace import create, load_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TOP_LEVEL = '''
architecture: YOLOv3
epoch: 270
export: {post_process: true, nms: true, benchmark: false}
log_iter: 20
map_type: 11point
metric: VOC
norm_type: sync_bn
num_classes: 3
pretrain_weights: null
print_flops: false
print_params: false
save_dir: output
snapshot_epoch: 5
use_gpu: true
use_mlu: false
use_npu: false
use_xpu: false
weights: output/x/model_final
worker_num: 2
'''

READER = '''
TrainReader:
  inputs_def: {num_max_boxes: 50}
  sample_transforms:
    - Decode: {}
    - RandomFlip: {}
  batch_transforms:
    - NormalizeImage: {mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], is_scale: true}
    - Permute: {}
  batch_size: 8
  collate_batch: true
  drop_last: true
  mixup_epoch: 250
  shuffle: true
  use_shared_memory: true
'''


def test_all_paddledetection_keys_load(tmp_path):
    path = tmp_path / 'pd.yml'
    path.write_text(TOP_LEVEL + READER)
    cfg = load_config(str(path))
    unused = {n.split(' ')[0] for n in cfg.notices}
    assert {'print_flops', 'print_params', 'use_mlu', 'use_npu', 'use_xpu'} <= unused
    reader = create('TrainReader', cfg)
    assert reader.batch_size == 8 and [type(op).__name__ for op in reader.sample_transforms] \
        == ['Decode', 'RandomFlip']


@pytest.mark.parametrize('config', sorted(
    os.path.join(d, f) for d, _, files in os.walk(os.path.join(ROOT, 'configs'))
    for f in files if f.endswith('.yml')))
def test_every_shipped_config_loads_and_validates(config):
    load_config(config)
