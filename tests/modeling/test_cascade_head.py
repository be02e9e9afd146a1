"""CascadeHead options beyond the zoo configs, and the errors of the new heads' arguments."""
import numpy as np
import paddle
import pytest

from ppdet.core.errors import ConfigError
from ppdet.modeling.heads.cascade_head import CascadeHead, CascadeTwoFCHead
from ppdet.modeling.heads.mask_head import MaskFeat
from ppdet.modeling.heads.roi_extractor import RoIAlign
from ppdet.modeling.proposal_generator.target_layer import BBoxAssigner

GT = {'gt_bbox': [paddle.to_tensor([[4., 4., 20., 24.], [30., 10., 60., 40.]])],
      'gt_class': [paddle.to_tensor([[0], [2]], dtype='int32')],
      'im_shape': paddle.to_tensor([[64., 64.]])}


def _head(**kw):
    paddle.seed(0)
    return CascadeHead(CascadeTwoFCHead(8, 16, 7), 16, RoIAlign(7, [0.25], aligned=True),
                       BBoxAssigner(32, use_random=False, num_classes=3), num_classes=3, **kw)


def _rois():
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 40, (20, 2))
    return [paddle.to_tensor(np.concatenate([xy, xy + rng.uniform(4, 24, (20, 2))], 1)
                             .astype('float32'))], paddle.to_tensor([20], dtype='int32')


def test_class_specific_deltas_refine_with_the_top_class_and_train():
    head = _head(reg_class_agnostic=False)
    assert head.bbox_delta_list[0].weight.shape == [16, 12]
    feats = [paddle.rand([1, 8, 16, 16])]
    rois, rois_num = _rois()
    head.eval()
    with paddle.no_grad():
        (deltas, probs), _ = head(feats, rois, rois_num, GT)
    assert deltas.shape == [20, 12] and probs.shape == [20, 4]  # last stage: per class
    np.testing.assert_allclose(probs.numpy().sum(1), 1, rtol=1e-5)
    head.train()
    losses, _ = head(feats, rois, rois_num, GT)
    assert sorted(losses) == sorted(f'loss_bbox_{k}_stage{s}' for k in ('cls', 'reg')
                                    for s in range(3))
    total = paddle.add_n(list(losses.values()))
    total.backward()
    assert np.isfinite(float(total)) and head.bbox_delta_list[0].weight.grad is not None


def test_stage_loss_weights_scale_each_stage():
    feats = [paddle.rand([1, 8, 16, 16])]
    rois, rois_num = _rois()
    plain, weighted = _head(), _head(stage_loss_weights=[1., 0.5, 0.25])
    plain.train(), weighted.train()
    a, _ = plain(feats, rois, rois_num, GT)
    b, _ = weighted(feats, rois, rois_num, GT)
    for name in a:
        stage = int(name[-1])
        np.testing.assert_allclose(float(b[name]) / [1., .5, .25][stage],
                                   float(a[name]) * 3, rtol=1e-5)


def test_per_stage_lists_must_have_one_entry_per_stage():
    with pytest.raises(ConfigError, match='bbox_weight has 2 entries but num_cascade_stages '
                                          'is 3: give one per stage'):
        _head(bbox_weight=[[10., 10., 5., 5.], [20., 20., 10., 10.]])
    assert len(_head(bbox_weight=[[10., 10., 5., 5.]] * 3).bbox_weight) == 3  # the remedy


def test_mask_feat_norm_type_is_refused_with_the_remedy():
    with pytest.raises(ConfigError, match="norm_type: 'gn' is not supported here; remove it"):
        MaskFeat(256, 256, norm_type='gn')
    assert MaskFeat(256, 256).norm_type is None  # the remedy: no norm_type
