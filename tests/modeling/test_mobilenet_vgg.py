"""MobileNetV1 and VGG backbones: PaddleDetection 2.6 names/shapes, out_shape, config errors."""
import json

import numpy as np
import paddle
import pytest

from ppdet.core.errors import ConfigError
from ppdet.modeling.backbones.mobilenet_v1 import MobileNet
from ppdet.modeling.backbones.vgg import VGG
from tests.helpers.material import shared_path



def _ref_backbone(config: str):
    path = shared_path('reference', 'keys', f'{config}.json')
    params = json.loads(path.read_text())['params']
    return [(n[len('backbone.'):], s) for n, s, _ in params if n.startswith('backbone.')]


def _names_shapes(layer):
    return [(k, list(v.shape)) for k, v in layer.state_dict().items()]


def test_mobilenet_yolov3_layout_matches_reference():
    assert _names_shapes(MobileNet()) == _ref_backbone('yolov3_mobilenet_v1_270e_coco')


def test_mobilenet_ssd_layout_matches_reference():
    m = MobileNet(conv_learning_rate=0.1, feature_maps=[11, 13, 14, 15, 16, 17],
                  with_extra_blocks=True)
    assert _names_shapes(m) == _ref_backbone('ssd_mobilenet_v1_300_120e_voc')


def test_vgg_layout_matches_reference():
    assert _names_shapes(VGG()) == _ref_backbone('ssd_vgg16_300_240e_voc')


def test_mobilenet_out_shape_matches_forward():
    paddle.seed(0)
    m = MobileNet(feature_maps=[4, 6, 13])
    m.eval()
    with paddle.no_grad():
        outs = m({'image': paddle.rand([1, 3, 64, 64])})
    assert [o.shape[1] for o in outs] == [s.channels for s in m.out_shape] == [256, 512, 1024]
    assert [64 // o.shape[2] for o in outs] == [s.stride for s in m.out_shape] == [8, 16, 32]


def test_mobilenet_scale_and_lr_reach_the_layers():
    m = MobileNet(scale=0.5, conv_learning_rate=0.1, conv_decay=4e-5)
    assert m.conv1._conv.weight.shape == [16, 3, 3, 3]
    assert [s.channels for s in m.out_shape] == [128, 256, 512]
    assert m.conv1._conv.weight.optimize_attr['learning_rate'] == pytest.approx(0.1)
    assert m.conv1._conv.weight.regularizer._coeff == pytest.approx(4e-5)


def test_mobilenet_rejects_feature_maps_beyond_its_blocks():
    with pytest.raises(ConfigError, match='outside 1..13'):
        MobileNet(feature_maps=[4, 6, 14])


def test_vgg_l2norm_branch_and_shapes():
    paddle.seed(0)
    m = VGG()
    m.eval()
    assert float(m.norm0.scale.numpy()[0]) == 20.0
    with paddle.no_grad():
        outs = m({'image': paddle.rand([1, 3, 300, 300])})
    assert [tuple(o.shape[1:]) for o in outs] == [(512, 38, 38), (1024, 19, 19), (512, 10, 10),
                                                  (256, 5, 5), (256, 3, 3), (256, 1, 1)]
    assert [o.shape[1] for o in outs] == [s.channels for s in m.out_shape]
    # the conv4_3 map is L2-normalised over channels, then scaled by 20
    norms = np.sqrt((outs[0].numpy() ** 2).sum(axis=1))
    assert np.allclose(norms[norms > 0], 20.0, rtol=1e-4)


def test_vgg_rejects_bad_depth():
    with pytest.raises(ConfigError, match='16 or 19'):
        VGG(depth=11)
