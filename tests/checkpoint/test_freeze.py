"""freeze_params: frozen tensors — BatchNorm running statistics included — stay bit-equal after
real optimizer steps in train mode, while the rest trains."""
import numpy as np
import paddle

from ppdet.checkpoint import apply_freeze, render_freeze_report, trainable_parameters
from tests.checkpoint._models import TinyYolo, randomize


def test_frozen_backbone_stays_bit_equal():
    paddle.seed(0)
    model = TinyYolo(3)
    randomize(model, 2)
    rep = apply_freeze(model, ['backbone.*', 'nothing_like_this'])
    assert set(rep.frozen_norm_layers) == {'backbone.stem.batch_norm', 'backbone.stage.batch_norm'}
    assert 'backbone.stem.batch_norm._mean' in rep.frozen
    assert any('nothing_like_this' in w for w in rep.warnings)
    assert 'BatchNorm layers kept in eval mode' in render_freeze_report(rep)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    opt = paddle.optimizer.Momentum(learning_rate=0.1, momentum=0.9,
                                    parameters=trainable_parameters(model),
                                    weight_decay=paddle.regularizer.L2Decay(1e-3))
    model.train()  # must not un-freeze the BN statistics
    for _ in range(3):
        loss = sum(o.square().mean() for o in model(paddle.rand([2, 3, 8, 8])))
        loss.backward()
        opt.step()
        opt.clear_grad()
    after = {k: v.numpy() for k, v in model.state_dict().items()}
    for k in before:
        if k.startswith('backbone.'):
            assert np.array_equal(before[k], after[k]), k
    assert not np.array_equal(before['neck.conv.weight'], after['neck.conv.weight'])
    assert not np.array_equal(before['neck.batch_norm._mean'], after['neck.batch_norm._mean'])
    assert not np.array_equal(before['yolo_head.yolo_output.0.bias'],
                              after['yolo_head.yolo_output.0.bias'])
    assert model.backbone.stem.batch_norm.training is False
    assert model.neck.batch_norm.training is True
