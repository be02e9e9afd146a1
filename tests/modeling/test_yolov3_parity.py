"""Numerical parity with PaddleDetection 2.6: same recipe weights, same input, same tensors.

Fixtures and tolerances: ../shared/reference/parity/README.md. Backbone maps are stored as
float16 (compare within 2e-3 relative); neck/head maps within 1e-4 of max|ref|; decoded boxes
within 0.1 px; class ids and counts exactly.
"""
import numpy as np
import paddle
import pytest

from tests.helpers.recipe_weights import apply_recipe, state_dict_sha256
from tests.modeling._yolo_helpers import build_model
from tests.helpers.material import shared_path

RECIPE_SHA = {
    'yolov3_darknet53_270e_coco':
        ('27724b554741759f71da1df7e14a7adb63ee04f6f1f38c8e1b7cb020e0209613', 62001757),
    'yolov3_mobilenet_v1_270e_coco':
        ('d367da40aaa48813ca24d872b232aa14b8c2d328ac3968cacf7cd8c55cf185f0', 24609981),
}


def _fixture(config):
    path = shared_path('reference', 'parity', f'{config}.npz')
    return np.load(path)


def _rel(ours, ref):
    ref = ref.astype('float32')
    return float(np.abs(ours.astype('float32') - ref).max() / max(np.abs(ref).max(), 1e-12))


def test_recipe_worked_examples():
    from tests.helpers.recipe_weights import recipe_value
    v = recipe_value('backbone.conv0.batch_norm._mean', [32])
    np.testing.assert_allclose(v[:3], [0.0240772869, -0.11797595, -0.171779871], rtol=1e-7)
    v = recipe_value('backbone.conv0.conv.weight', [32, 3, 3, 3]).reshape(-1)
    np.testing.assert_allclose(v[:3], [-0.14723745, -0.126875669, -0.0293117408], rtol=1e-7)
    v = recipe_value('yolo_head.yolo_output.0.bias', [255])
    np.testing.assert_allclose(v[:3], [0.0214037336, 0.0313050672, 0.0137126138], rtol=1e-7)


@pytest.mark.parametrize('config', sorted(RECIPE_SHA))
def test_yolov3_matches_paddledetection(config):
    ref = _fixture(config)
    paddle.set_device('cpu')
    model = build_model(config, num_classes=80)
    values = apply_recipe(model)
    assert state_dict_sha256(values) == RECIPE_SHA[config]
    model.eval()
    inputs = {k.split('.', 1)[1]: paddle.to_tensor(ref[k]) for k in ref.files
              if k.startswith('input.')}
    captured = {}
    with paddle.no_grad():
        feats = model.backbone(inputs)
        necks = model.neck(feats)
        heads = model.yolo_head(necks)
        boxes, _ = model.post_process.decode(heads, model.yolo_head.mask_anchors,
                                             inputs['im_shape'], inputs['scale_factor'])
        out = model(inputs)
    for i in range(3):
        captured[f'backbone.{i}'] = (_rel(feats[i].numpy(), ref[f'backbone.{i}']), 2e-3)
        captured[f'neck.{i}'] = (_rel(necks[i].numpy(), ref[f'neck.{i}']), 1e-4)
        captured[f'head.yolo_output.{i}'] = (
            _rel(heads[i].numpy(), ref[f'head.yolo_output.{i}']), 1e-4)
    bad = {k: v for k, v in captured.items() if not v[0] <= v[1]}
    assert not bad, bad
    assert float(np.abs(boxes.numpy() - ref['nms_in.boxes']).max()) <= 0.1
    np.testing.assert_array_equal(out['bbox_num'].numpy(), ref['out.bbox_num'])
    got = out['bbox'].numpy()
    np.testing.assert_array_equal(got[:, 0], ref['out.bbox'][:, 0])
    assert float(np.abs(got[:, 1] - ref['out.bbox'][:, 1]).max()) <= 1e-5
    assert float(np.abs(got[:, 2:] - ref['out.bbox'][:, 2:]).max()) <= 0.1
