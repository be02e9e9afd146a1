"""Multi-scale testing (MultiscaleTestResize): PaddleDetection's multi-scale Faster R-CNN config
reads an image at three scales; the model predicts on each and merges them by class-wise NMS."""
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import create, load_config, merge_config
from ppdet.engine.batch import to_model_inputs
from ppdet.modeling.ops.multiscale_merge import greedy_nms, merge_scales
from tests.modeling._rcnn_helpers import small_faster_rcnn

ROOT = Path(__file__).resolve().parents[2]
CONFIG = (ROOT.parent / 'shared' / 'reference' / 'ppdet26_configs' / 'configs' / 'faster_rcnn'
          / 'faster_rcnn_r34_fpn_multiscaletest_1x_coco.yml')
BCCD = ('EvalDataset={name: VOCDataSet, dataset_dir: dataset/bccd, anno_path: val.txt, '
        'label_list: label_list.txt, sample_num: 1}')


@pytest.fixture
def batch(monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = merge_config(load_config(str(CONFIG)), [BCCD, 'num_classes=3', 'metric=VOC'])
    dataset, reader = create('EvalDataset', cfg), create('EvalReader', cfg)
    dataset.parse_dataset()
    return next(iter(reader.batches(dataset)))


def test_reader_gives_every_scale(batch):
    shapes = [batch['im_shape'][0].tolist()] + [v['im_shape'][0].tolist()
                                                for v in batch['scale_variants']]
    # 640x480 BCCD image: short side to 800 (long <= 1333); long side to 700; to 900
    assert np.allclose(shapes, [[800, 3200 / 3], [525, 700], [675, 900]])  # unrounded
    for v in batch['scale_variants']:
        assert v['im_id'].tolist() == batch['im_id'].tolist()
        assert v['image'].shape[2] % 32 == 0 and v['image'].shape[3] % 32 == 0


def test_model_merges_the_scales(batch):
    model = small_faster_rcnn(3, score_threshold=0.0)
    model.eval()
    inputs = to_model_inputs(batch)
    with paddle.no_grad():
        merged = model(inputs)
        singles = [model(to_model_inputs(b)) for b in [dict(batch, scale_variants=None)]
                   + batch['scale_variants']]
    expect = merge_scales([s['bbox'].numpy() for s in singles], 3, 0.5, 100)
    assert len(expect) > 0
    np.testing.assert_array_equal(merged['bbox'].numpy(), expect)
    assert merged['bbox_num'].tolist() == [len(expect)]


def test_greedy_nms_keeps_the_best_of_each_group():
    dets = np.array([[0.9, 0, 0, 9, 9], [0.8, 1, 1, 10, 10], [0.7, 20, 20, 30, 30],
                     [0.95, 21, 21, 30, 30]], 'float32')
    kept = greedy_nms(dets, 0.5)
    assert kept[:, 0].tolist() == pytest.approx([0.95, 0.9])


def test_flip_variant_is_refused_with_its_remedy():
    from ppdet.data.transform.multiscale import MultiscaleTestResize
    with pytest.raises(ConfigError, match='use_flip: false'):
        MultiscaleTestResize(target_size=[700], use_flip=True)
    MultiscaleTestResize(target_size=[700], use_flip=False)
