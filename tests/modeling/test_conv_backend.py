"""Which backend each convolution takes (ppdet/modeling/layers/conv_backend.py), in the
documented order, and that applying each plan computes the convolution."""
import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
import pytest

from ppdet.modeling.layers.conv_backend import (MIN_STRIP_COLS, STRIP_BYTES, ConvBackend,
                                                plan_conv)
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.native import build

B = ConvBackend


@pytest.fixture(scope='module', autouse=True)
def native_kernels_built():
    if build.native_module() is None or not build.has_conv():
        pytest.fail(f'the native kernels did not build: {build.status()}')


def _x(*shape, dtype='float32'):
    return paddle.to_tensor(np.random.default_rng(0).standard_normal(shape).astype(dtype))


CASES = [  # (Conv2D arguments, input shape, backend with the kernels, backend without)
    (dict(data_format='NHWC'), (1, 8, 8, 4), B.PADDLE_LAYER, B.PADDLE_LAYER),
    (dict(padding=1, padding_mode='reflect'), (1, 4, 8, 8), B.PADDLE_LAYER, B.PADDLE_LAYER),
    (dict(padding='SAME'), (1, 4, 8, 8), B.PADDLE_OP, B.PADDLE_OP),
    (dict(padding=1), (1, 4, 8, 8), B.NATIVE_DENSE, B.PADDLE_OP),
    (dict(kernel_size=1), (1, 4, 8, 8), B.PADDLE_OP, B.PADDLE_OP),  # one GEMM already
    (dict(kernel_size=1, padding=1), (1, 4, 8, 8), B.NATIVE_DENSE, B.PADDLE_OP),
    (dict(kernel_size=1, stride=2), (1, 4, 8, 8), B.NATIVE_DENSE, B.PADDLE_OP),
    (dict(groups=4, out_channels=4, padding=1), (1, 4, 8, 8), B.NATIVE_DEPTHWISE, B.PADDLE_OP),
    (dict(groups=2, padding=1), (1, 4, 8, 8), B.PADDLE_OP, B.PADDLE_OP),
    # an im2col of 16*9*300*4 bytes per row, 300 rows: 51.8 MB >= MIN_IM2COL_BYTES
    (dict(in_channels=16, padding=1), (1, 16, 300, 300), B.NATIVE_DENSE, B.PYTHON_STRIPS),
]


def _conv(**kwargs):
    args = dict(in_channels=4, out_channels=6, kernel_size=3)
    args.update(kwargs)
    return Conv2D(**args)


@pytest.mark.parametrize('kwargs,shape,native,without', CASES)
def test_the_decision_order(kwargs, shape, native, without, monkeypatch):
    conv = _conv(**kwargs)
    x = _x(*shape)
    assert plan_conv(conv, x).backend is native
    assert plan_conv(conv, x.astype('float64')).backend is without  # kernels are float32-only
    monkeypatch.setenv('PPDET_NATIVE', '0')
    assert plan_conv(conv, x).backend is without


def test_plans_carry_what_their_backend_needs():
    conv = _conv(in_channels=16, padding=[1, 2])  # rows padded by 1, columns by 2
    plan = plan_conv(conv, _x(1, 16, 300, 300))
    assert plan.backend is B.NATIVE_DENSE and plan.pads == (1, 1, 2, 2)
    row = 16 * 9 * 302 * 4  # im2col bytes per output row: 302 output columns
    assert plan.strip_bytes == max(STRIP_BYTES, row * -(-MIN_STRIP_COLS // 302))
    python = plan_conv(conv, _x(1, 16, 300, 300, dtype='float64'))
    assert python.backend is B.PYTHON_STRIPS and python.strip_rows == STRIP_BYTES // row


def test_conv_norm_act_fuses_only_for_inference_without_bias_or_hooks():
    conv, bn, x = _conv(padding=1, bias_attr=False), nn.BatchNorm2D(6), _x(1, 4, 8, 8)
    bn.eval()
    with paddle.no_grad():
        assert plan_conv(conv, x, bn, 'relu').backend is B.NATIVE_CONV_BN_ACT
        assert plan_conv(conv, x, bn, 'mish').backend is B.SEPARATE  # no such epilogue
        bn.train()
        assert plan_conv(conv, x, bn, 'relu').backend is B.SEPARATE  # batch statistics
        bn.eval()
        assert plan_conv(_conv(padding=1), x, bn, 'relu').backend is B.SEPARATE  # bias
        conv.register_forward_post_hook(lambda layer, inputs, out: None)
        assert plan_conv(conv, x, bn, 'relu').backend is B.SEPARATE  # hooks must run
    x.stop_gradient = False
    assert plan_conv(_conv(padding=1, bias_attr=False), x, bn, 'relu').backend \
        is B.SEPARATE  # a gradient to the input
    assert plan_conv(_conv(padding=1, bias_attr=False), x).backend is B.NATIVE_DENSE


@pytest.mark.parametrize('kwargs,shape', [(c[0], c[1]) for c in CASES
                                          if c[2] is not B.PADDLE_LAYER and c[1][2] < 100])
@pytest.mark.parametrize('native', ['1', '0'])
def test_every_plan_computes_the_convolution(kwargs, shape, native, monkeypatch):
    monkeypatch.setenv('PPDET_NATIVE', native)
    conv = _conv(**kwargs)
    x = _x(*shape)
    ref = F.conv2d(x, conv.weight, conv.bias, stride=conv._stride, padding=conv._padding,
                   dilation=conv._dilation, groups=conv._groups)
    got = conv(x)
    # the same sums in another order: each within gamma_n * sum |terms| of the exact sum (n: at
    # most 4 * 9 products and the bias), so within twice that of each other
    f64 = [t.astype('float64').abs() for t in (x, conv.weight, conv.bias)]
    mag = F.conv2d(*f64, stride=conv._stride, padding=conv._padding, dilation=conv._dilation,
                   groups=conv._groups).numpy()
    n, u = 37, 2.0 ** -24
    bound = 2 * n * u / (1 - n * u) * mag + 1e-30
    assert (np.abs(got.numpy().astype('float64') - ref.numpy()) <= bound).all()
