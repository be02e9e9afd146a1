"""A frozen norm computes what Paddle's BatchNorm2D with use_global_stats does, quietly."""
import warnings

import numpy as np
import paddle

from ppdet.modeling.layers.conv_norm import FrozenStatsBatchNorm2D, make_norm


def _pair():
    frozen = make_norm(8, freeze_norm=True)
    plain = paddle.nn.BatchNorm2D(8, use_global_stats=True)
    rng = np.random.default_rng(0)
    state = {'weight': rng.standard_normal(8), 'bias': rng.standard_normal(8),
             '_mean': rng.standard_normal(8), '_variance': rng.uniform(0.5, 2.0, 8)}
    for layer in (frozen, plain):
        layer.set_state_dict({k: v.astype('float32') for k, v in state.items()})
    return frozen, plain


def test_frozen_norm_in_training_is_quiet_and_equal_to_use_global_stats():
    frozen, plain = _pair()
    assert isinstance(frozen, FrozenStatsBatchNorm2D)
    assert sorted(frozen.state_dict()) == sorted(plain.state_dict())
    x = np.random.default_rng(1).standard_normal([2, 8, 5, 5]).astype('float32')
    outs, grads = [], []
    for layer in (frozen, plain):
        layer.train()
        xt = paddle.to_tensor(x, stop_gradient=False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            y = layer(xt)
        if layer is frozen:
            assert not [w for w in caught if 'track global mean' in str(w.message)]
        (y * y).sum().backward()
        outs.append(y.numpy())
        grads.append(xt.grad.numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(grads[0], grads[1])
    np.testing.assert_array_equal(frozen._mean.numpy(), plain._mean.numpy())  # never moved
