"""Native CPU kernels against Paddle's own operators: outputs, every gradient, BatchNorm running
statistics, and the fallback when the kernels are off. Shapes are small but cover strides,
dilation, asymmetric borders, one-row strips and every activation."""
import os
import sys

import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from ppdet.modeling.layers.conv_norm import ConvBNLayer, activation
from ppdet.modeling.native import build, ops
from tests.helpers.proc import process_gone, run as run_child



@pytest.fixture(scope='module', autouse=True)
def native_kernels_built():
    """Built here, not at collection: a broken kernel source is a failure, not a skip."""
    if build.native_module() is None or not build.has_conv():
        pytest.fail(f'the native kernels did not build: {build.status()}')


def _rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def _pair(shape, seed):
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(shape).astype('float32')
    a, b = paddle.to_tensor(v), paddle.to_tensor(v)
    a.stop_gradient = b.stop_gradient = False
    return a, b


CONV_CASES = [  # (N, C, K, H, W, k, stride, pad, dilation)
    (2, 3, 8, 17, 13, 3, 1, 1, 1),
    (2, 5, 7, 16, 16, 3, 2, 1, 1),
    (1, 4, 6, 15, 11, 3, 1, 2, 2),
    (2, 6, 4, 9, 9, 5, 1, 2, 1),
    (1, 3, 5, 8, 8, 3, 1, 0, 1),
    (2, 4, 4, 7, 7, 1, 2, 0, 1),
    (2, 4, 6, 5, 5, 1, 1, 0, 1),  # pointwise: the input is its own im2col
]


U32 = 2.0 ** -24  # unit round-off of float32


def _dot_bound(n_terms: int, magnitude: np.ndarray) -> np.ndarray:
    """Largest difference two float32 evaluations of the same sums may show, whatever their
    summation order (blocked GEMMs, FMA): each is within gamma_n * sum|terms| of the exact sum
    (Higham, Accuracy and Stability of Numerical Algorithms, eq. 3.5), n the terms per sum."""
    gamma = n_terms * U32 / (1 - n_terms * U32)
    return 2 * gamma * magnitude + 1e-30


def _conv_magnitudes(x, w, dy, s, p, d):
    """sum|x||w| per output, sum|dy||w| per input element and sum|dy||x| per weight, in
    float64: the magnitudes the three float32 results are sums of."""
    xa = paddle.to_tensor(np.abs(x.numpy()).astype('float64'), stop_gradient=False)
    wa = paddle.to_tensor(np.abs(w.numpy()).astype('float64'), stop_gradient=False)
    ya = F.conv2d(xa, wa, stride=s, padding=p, dilation=d)
    ya.backward(paddle.to_tensor(np.abs(dy.numpy()).astype('float64')))
    return ya.numpy(), xa.grad.numpy(), wa.grad.numpy()


def _assert_within(got, ref, bound, what):
    excess = np.abs(got.numpy().astype('float64') - ref.numpy()) - bound
    assert excess.max() <= 0, f'{what}: off by more than float32 round-off allows'


@pytest.mark.parametrize('case', CONV_CASES)
@pytest.mark.parametrize('strip_bytes', [1, 1 << 30])  # one output row per strip / whole image
def test_strip_conv_matches_paddle(case, strip_bytes):
    """The strip GEMMs sum the same products as Paddle's im2col + GEMM, but MKL's order inside
    a GEMM depends on its shape and the CPU, so results agree to float32 round-off, not bits."""
    n, c, k, h, w, ks, s, p, d = case
    xa, xb = _pair([n, c, h, w], 0)
    wa, wb = _pair([k, c, ks, ks], 1)
    ref = F.conv2d(xa, wa, stride=s, padding=p, dilation=d)
    got = ops.conv2d(xb, wb, [s, s], [p, p, p, p], [d, d], strip_bytes)
    assert got is not None and list(got.shape) == list(ref.shape)
    dy = paddle.to_tensor(np.random.default_rng(2).standard_normal(ref.shape).astype('float32'))
    mag_y, mag_dx, mag_dw = _conv_magnitudes(xa, wa, dy, s, p, d)
    _assert_within(got, ref, _dot_bound(c * ks * ks, mag_y), 'output')
    ref.backward(dy)
    got.backward(dy)
    _assert_within(xb.grad, xa.grad, _dot_bound(k * ks * ks, mag_dx), 'input gradient')
    _assert_within(wb.grad, wa.grad, _dot_bound(n * ref.shape[2] * ref.shape[3], mag_dw),
                   'weight gradient')


def test_round_off_bound_catches_a_wrong_conv():
    """The bound is tight enough that a conv with one wrong tap fails it."""
    xa, _ = _pair([1, 3, 8, 8], 0)
    wa, _ = _pair([4, 3, 3, 3], 1)
    ref = F.conv2d(xa, wa, padding=1)
    wrong_w = wa.numpy().copy()
    wrong_w[0, 0, 0, 0] *= 1.001
    wrong = F.conv2d(xa, paddle.to_tensor(wrong_w), padding=1)
    dy = paddle.ones(ref.shape)
    mag_y = _conv_magnitudes(xa, wa, dy, 1, 1, 1)[0]
    with pytest.raises(AssertionError):
        _assert_within(wrong, ref, _dot_bound(27, mag_y), 'output')


@pytest.mark.parametrize('case', [(2, 6, 11, 9, 3, 1, 1, 1), (2, 4, 10, 13, 3, 2, 1, 1),
                                  (1, 3, 12, 12, 3, 1, 2, 2), (2, 5, 8, 7, 5, 2, 2, 1)])
def test_depthwise_conv_matches_paddle(case):
    n, c, h, w, ks, s, p, d = case
    xa, xb = _pair([n, c, h, w], 3)
    wa, wb = _pair([c, 1, ks, ks], 4)
    ref = F.conv2d(xa, wa, stride=s, padding=p, dilation=d, groups=c)
    got = ops.depthwise_conv2d(xb, wb, [s, s], [p, p, p, p], [d, d])
    assert list(got.shape) == list(ref.shape)
    assert _rel(got.numpy(), ref.numpy()) < 1e-6
    dy = paddle.to_tensor(np.random.default_rng(5).standard_normal(ref.shape).astype('float32'))
    ref.backward(dy)
    got.backward(dy)
    assert _rel(xb.grad.numpy(), xa.grad.numpy()) < 1e-6
    assert _rel(wb.grad.numpy(), wa.grad.numpy()) < 1e-5


def _norm_pair(c):
    rng = np.random.default_rng(6)
    gamma = rng.uniform(0.5, 1.5, c).astype('float32')
    beta = (rng.standard_normal(c) * 0.5).astype('float32')
    norms = [paddle.nn.BatchNorm2D(c) for _ in range(2)]
    for bn in norms:
        bn.weight.set_value(gamma)
        bn.bias.set_value(beta)
    return norms


@pytest.mark.parametrize('act', [None, 'relu', 'leaky', 'relu6'])
def test_batch_norm_act_training_matches_paddle(act):
    ref_bn, nat_bn = _norm_pair(5)
    for step in range(2):  # the second step starts from updated running statistics
        xa, xb = _pair([2, 5, 6, 7], 10 + step)
        with paddle.no_grad():  # a large mean and spread, values on both sides of 0 and 6
            xa.set_value(xa * 4 + 3)
            xb.set_value(xb * 4 + 3)
        ref = activation(ref_bn(xa), act)
        got = ops.batch_norm_act(xb, nat_bn, act)
        assert _rel(got.numpy(), ref.numpy()) < 1e-5
        dy = paddle.to_tensor(np.random.default_rng(20 + step).standard_normal(
            ref.shape).astype('float32'))
        ref.backward(dy)
        got.backward(dy)
        assert _rel(xb.grad.numpy(), xa.grad.numpy()) < 1e-5
        assert _rel(nat_bn.weight.grad.numpy(), ref_bn.weight.grad.numpy()) < 1e-5
        assert _rel(nat_bn.bias.grad.numpy(), ref_bn.bias.grad.numpy()) < 1e-5
        assert _rel(nat_bn._mean.numpy(), ref_bn._mean.numpy()) < 1e-6
        assert _rel(nat_bn._variance.numpy(), ref_bn._variance.numpy()) < 1e-6


@pytest.mark.parametrize('act', [None, 'relu', 'leaky', 'relu6'])
def test_batch_norm_act_eval_matches_paddle(act):
    ref_bn, nat_bn = _norm_pair(4)
    for bn in (ref_bn, nat_bn):
        bn._mean.set_value(np.array([0.5, -1, 2, 0], 'float32'))
        bn._variance.set_value(np.array([1, 0.25, 4, 2], 'float32'))
        bn.eval()
    x = paddle.to_tensor(np.random.default_rng(7).standard_normal([1, 4, 5, 5]).astype(
        'float32') * 5)
    with paddle.no_grad():
        assert _rel(ops.batch_norm_act(x, nat_bn, act).numpy(),
                    activation(ref_bn(x), act).numpy()) < 1e-6


def test_frozen_norm_with_input_gradient_stays_on_paddle():
    bn = paddle.nn.BatchNorm2D(3, use_global_stats=True)
    x = paddle.randn([1, 3, 4, 4])
    x.stop_gradient = False
    assert ops.batch_norm_act(x, bn, 'relu') is None


def test_conv_bn_layer_trains_the_same_with_and_without_kernels(monkeypatch):
    """A ConvBNLayer stepped by SGD with native kernels tracks the one on Paddle's ops."""
    paddle.seed(0)
    layers = [ConvBNLayer(3, 8, 3, stride=2), ConvBNLayer(3, 8, 3, stride=2)]
    layers[1].set_state_dict(layers[0].state_dict())
    x = paddle.to_tensor(np.random.default_rng(8).standard_normal([2, 3, 16, 16]).astype(
        'float32'))
    outs = []
    for i, layer in enumerate(layers):
        if i == 1:
            monkeypatch.setenv('PPDET_NATIVE', '0')
        opt = paddle.optimizer.SGD(0.1, parameters=layer.parameters())
        for _ in range(3):
            loss = (layer(x) ** 2).mean()
            loss.backward()
            opt.step()
            opt.clear_grad()
        outs.append({k: v.numpy() for k, v in layer.state_dict().items()})
    for k in outs[0]:
        assert _rel(outs[0][k], outs[1][k]) < 1e-4, k


def test_switch_off_reports_and_uses_paddle():
    code = ('from ppdet.modeling.native import build, ops; import paddle; '
            'print(build.status()); '
            'print(ops.depthwise_conv2d(paddle.ones([1,2,4,4]), paddle.ones([2,1,3,3]), '
            '[1,1], [1,1,1,1], [1,1]))')
    env = dict(os.environ, PPDET_NATIVE='0')
    out = run_child([sys.executable, '-c', code], env=env,
                    cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))), timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ['native kernels off (PPDET_NATIVE=0)', 'None']


def test_cache_key_changes_with_sources(tmp_path, monkeypatch):
    a = build.cache_dir(['bn_act.cc'])
    b = build.cache_dir(['bn_act.cc', 'depthwise.cc'])
    monkeypatch.setenv('PPDET_NATIVE_CACHE', str(tmp_path))
    c = build.cache_dir(['bn_act.cc'])
    assert a != b and c.startswith(str(tmp_path)) and os.path.basename(c) == os.path.basename(a)
    assert build.cache_dir(['bn_act.cc'], build.PORTABLE_FLAGS) != c  # flags are in the key


def test_strided_views_are_read_as_their_values():
    base = paddle.to_tensor(np.random.default_rng(9).standard_normal([1, 3, 10, 8]).astype(
        'float32'))
    x = base.transpose([0, 1, 3, 2])  # a view with strides on Paddle 3
    w = paddle.to_tensor(np.random.default_rng(10).standard_normal([3, 1, 3, 3]).astype(
        'float32'))
    ref = F.conv2d(x.contiguous(), w, padding=1, groups=3)
    got = ops.depthwise_conv2d(x, w, [1, 1], [1, 1, 1, 1], [1, 1])
    assert _rel(got.numpy(), ref.numpy()) < 1e-6


def test_failed_build_warns_once_and_models_use_paddle(tmp_path):
    """No working compiler: one warning with the reason, then Paddle's operators."""
    code = ('import warnings, paddle\n'
            'from ppdet.modeling.native import build\n'
            'from ppdet.modeling.layers.conv_norm import ConvBNLayer\n'
            'with warnings.catch_warnings(record=True) as w:\n'
            '    warnings.simplefilter("always")\n'
            '    y = ConvBNLayer(3, 4, 3)(paddle.ones([1, 3, 8, 8]))\n'
            '    y = ConvBNLayer(4, 4, 3)(y)\n'
            'msgs = [str(x.message) for x in w if "native CPU kernels" in str(x.message)]\n'
            'print(len(msgs), list(y.shape), build.native_module() is None)\n')
    env = dict(os.environ, PPDET_NATIVE_CACHE=str(tmp_path), CC='/bin/false', CXX='/bin/false')
    out = run_child([sys.executable, '-c', code], env=env,
                    cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ['1', '[1,', '4,', '8,', '8]', 'True']


def test_a_build_that_hangs_is_stopped_and_models_use_paddle(tmp_path):
    """A compiler that never returns: the build is stopped at its time limit (compiler
    included), one warning says so, the models fall back to Paddle's operators."""
    stuck = tmp_path / 'stuck-cc'
    pid_file = tmp_path / 'compiler.pid'
    stuck.write_text(f'#!/bin/sh\necho $$ > {pid_file}\nexec sleep 600\n')
    stuck.chmod(0o755)
    code = ('import warnings, paddle\n'
            'from ppdet.modeling.native import build\n'
            'build.BUILD_TIMEOUT_S = 20\n'
            'with warnings.catch_warnings(record=True) as w:\n'
            '    warnings.simplefilter("always")\n'
            '    module = build.native_module()\n'
            'msgs = [str(x.message) for x in w if "native CPU kernels" in str(x.message)]\n'
            'print(len(msgs), module is None, "did not finish within 20 s" in msgs[0])\n')
    env = dict(os.environ, PPDET_NATIVE_CACHE=str(tmp_path / 'cache'), CC=str(stuck),
               CXX=str(stuck))
    out = run_child([sys.executable, '-c', code], env=env,
                    cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.split() == ['1', 'True', 'True'], out.stdout + out.stderr[-2000:]
    assert process_gone(int(pid_file.read_text()))


@pytest.mark.parametrize('act', [None, 'relu', 'leaky', 'relu6'])
@pytest.mark.parametrize('ksize,stride', [(3, 1), (3, 2), (1, 1)])
def test_fused_conv_norm_act_inference_equals_separate_kernels(act, ksize, stride):
    from ppdet.modeling.layers.conv_norm import norm_activation
    paddle.seed(1)
    layer = ConvBNLayer(5, 6, ksize, stride=stride, act=act)
    bn = layer.batch_norm
    rng = np.random.default_rng(11)
    bn._mean.set_value(rng.standard_normal(6).astype('float32'))
    bn._variance.set_value(rng.uniform(0.5, 2, 6).astype('float32'))
    layer.eval()
    x = paddle.to_tensor(rng.standard_normal([2, 5, 9, 11]).astype('float32'))
    with paddle.no_grad():
        fused = layer.conv.forward_norm_act(x, bn, act)
        separate = norm_activation(bn, layer.conv(x), act)
        paddle_ops = activation(bn(F.conv2d(x, layer.conv.weight, stride=stride,
                                            padding=ksize // 2)), act)
    assert fused is not None
    np.testing.assert_array_equal(fused.numpy(), separate.numpy())
    assert _rel(fused.numpy(), paddle_ops.numpy()) < 1e-6
    layer.train()  # batch statistics: no fused inference kernel
    with paddle.no_grad():
        assert layer.conv.forward_norm_act(x, bn, act) is None


_THREADS_SCRIPT = '''
import numpy as np, paddle
from ppdet.modeling.layers.conv_norm import ConvBNLayer
from ppdet.modeling.native import ops
paddle.seed(0)
rng = np.random.default_rng(0)
x = paddle.to_tensor(rng.standard_normal([2, 16, 64, 64]).astype('float32'))
x.stop_gradient = False
dense = ConvBNLayer(16, 16, 3)  # 2x16x64x64: above PPDET_PARALLEL's threshold
dw = paddle.to_tensor(rng.standard_normal([16, 1, 3, 3]).astype('float32'))
dw.stop_gradient = False
y = ops.depthwise_conv2d(dense(x), dw, [1, 1], [1, 1, 1, 1], [1, 1])
y.backward(paddle.to_tensor(rng.standard_normal(y.shape).astype('float32')))
dense.eval()
with paddle.no_grad():
    z = dense(x)
# not the conv's weight gradient: MKL's own GEMM splits that long reduction by thread count
out = [y, z, x.grad, dw.grad, dense.batch_norm.weight.grad, dense.batch_norm._variance]
np.savez(OUT, *[t.numpy() for t in out])
'''


def test_results_do_not_depend_on_the_thread_count(tmp_path):
    """Large enough for the parallel loops; one thread and two give the same bits in what
    the kernels compute themselves."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    results = []
    for threads in ('1', '2'):
        out = tmp_path / f'{threads}.npz'
        # MKL's GEMMs stay on one thread: how MKL splits its sums by thread count is its own
        # affair (on AMD processors with its AVX2 kernels it does so even for these shapes)
        env = dict(os.environ, OMP_NUM_THREADS=threads, MKL_NUM_THREADS='1')
        proc = run_child([sys.executable, '-c', f'OUT = {str(out)!r}\n' + _THREADS_SCRIPT],
                         env=env, cwd=root, timeout=300)
        assert proc.returncode == 0, proc.stderr[-3000:]
        results.append(np.load(out))
    a, b = results
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def _raises(call, message):
    """A misused kernel raises (Paddle turns the kernel's PD_CHECK into a Python exception)
    instead of reading or writing out of bounds."""
    with pytest.raises(Exception, match=message):
        call()


def test_kernels_refuse_wrong_shapes_and_dtypes():
    mod = build.native_module()
    x, w3 = paddle.ones([1, 3, 8, 8]), paddle.ones([4, 3, 3, 3])
    conv_attrs = ([1, 1], [1, 1, 1, 1], [1, 1], 1 << 20)
    _raises(lambda: mod.ppdet_strip_conv(x, paddle.ones([4, 5, 3, 3]), *conv_attrs),
            'W has 5 input channels, X has 3')
    _raises(lambda: mod.ppdet_strip_conv(x.astype('float64'), w3.astype('float64'),
                                         *conv_attrs), 'X must be float32')
    _raises(lambda: mod.ppdet_strip_conv(x, w3, [1, 1], [1, 1], [1, 1], 1 << 20),
            'pads 4')
    _raises(lambda: mod.ppdet_strip_conv_grad_input(x, w3, paddle.ones([1, 4, 7, 8]),
                                                    *conv_attrs),
            r'DY must be \[1, 4, 8, 8\], got \[1, 4, 7, 8\]')
    _raises(lambda: mod.ppdet_depthwise_conv(paddle.ones([3, 8, 8]), paddle.ones([3, 1, 3, 3]),
                                             [1, 1], [1, 1, 1, 1], [1, 1]),
            'X must have 4 dimensions, got 3')
    _raises(lambda: mod.ppdet_depthwise_conv(x, paddle.ones([3, 1, 9, 9]), [1, 1],
                                             [0, 0, 0, 0], [1, 1]), 'smaller than the 9x9')
    ones = [paddle.ones([3]) for _ in range(3)]
    _raises(lambda: mod.ppdet_bn_act_infer(x, paddle.ones([2]), *ones, 1e-5, 1, 0.1),
            'Gamma must have 3 values')
    _raises(lambda: mod.ppdet_bn_act_infer(x, *ones, paddle.ones([3]), 1e-5, 7, 0.1),
            'unknown activation code 7')
