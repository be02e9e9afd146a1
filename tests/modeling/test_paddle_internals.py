"""The private Paddle names ppdet relies on (ppdet/utils/paddle_internals.py) exist and behave as
relied on, and ppdet uses none that is not listed: a Paddle upgrade that changes one fails here
instead of silently sending convolutions to a slower operator."""
import ast
import inspect
import os

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import _C_ops

from ppdet.modeling.layers.conv_backend import conv_pads
from ppdet.utils.paddle_internals import PADDLE_INTERNALS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LISTED = {i.name for i in PADDLE_INTERNALS}
# numpy's array reconstructors, named in checkpoint/safe_pickle.py as pickle globals that
# .pdparams files contain (checked by tests/checkpoint/test_safe_load.py); not Paddle's.
NOT_PADDLE = {'_reconstruct', '_frombuffer'}


def _own_names(tree):
    """Names a file defines itself: functions, classes, assigned names and attributes."""
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            own.add(node.attr)
        elif isinstance(node, ast.alias):
            own.add(node.asname or node.name.split('.')[-1])
    return own


def _private_uses(tree, module_level_names):
    own = _own_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or '').startswith('paddle'):
            for alias in node.names:
                if alias.name.startswith('_'):
                    yield alias.name
        elif isinstance(node, ast.Attribute):
            base = node.value
            base_name = base.attr if isinstance(base, ast.Attribute) else getattr(base, 'id', '')
            if base_name == '_C_ops':  # each operator of the private operator module
                yield f'_C_ops.{node.attr}'
            elif node.attr.startswith('_') and not node.attr.startswith('__') \
                    and node.attr not in own and node.attr not in module_level_names:
                yield node.attr


def test_the_list_is_exactly_what_ppdet_uses():
    """Every private Paddle name used under ppdet/ is listed, and every listed one is used."""
    trees = {}
    for folder, _, files in os.walk(os.path.join(ROOT, 'ppdet')):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                with open(path, encoding='utf-8') as f:
                    trees[os.path.relpath(path, ROOT)] = ast.parse(f.read())
    module_level = {n.name for t in trees.values() for n in t.body
                    if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    used = {(path, use) for path, tree in trees.items()
            for use in _private_uses(tree, module_level)
            if use not in NOT_PADDLE and use != '_C_ops'}
    unlisted = {(path, use) for path, use in used if use not in LISTED}
    assert not unlisted, f'private Paddle names missing from paddle_internals.py: {unlisted}'
    assert LISTED == {use for _, use in used}, 'listed but no longer used: ' + \
        ', '.join(sorted(LISTED - {use for _, use in used}))


def test_conv_layer_attributes():
    conv = nn.Conv2D(3, 6, [3, 5], stride=[2, 1], padding=[1, 2], dilation=[1, 2], groups=3)
    assert (conv._data_format, conv._padding_mode, conv._padding_algorithm) == \
        ('NCHW', 'zeros', 'EXPLICIT')
    assert list(conv._kernel_size) == [3, 5] and list(conv._stride) == [2, 1]
    assert list(conv._dilation) == [1, 2] and conv._groups == 3
    assert (conv._in_channels, conv._out_channels) == (3, 6)
    assert nn.Conv2D(3, 4, 3, padding='SAME')._padding_algorithm == 'SAME'
    assert nn.Conv2D(3, 4, 3, data_format='NHWC')._data_format == 'NHWC'
    assert nn.Conv2D(3, 4, 3, padding=1, padding_mode='reflect')._padding_mode == 'reflect'


def test_updated_padding_is_the_padding_conv2d_applies():
    x = paddle.to_tensor(np.random.default_rng(0).standard_normal([1, 2, 7, 9]).astype('float32'))
    for padding in (1, [1, 2], [0, 1, 2, 3], [[0, 0], [0, 0], [2, 1], [0, 3]]):
        conv = nn.Conv2D(2, 3, 3, padding=padding, bias_attr=False)
        ref = F.conv2d(x, conv.weight, padding=conv._padding)
        got = F.conv2d(x, conv.weight, padding=list(conv_pads(conv)))
        assert list(got.shape) == list(ref.shape)
        np.testing.assert_array_equal(got.numpy(), ref.numpy())


def test_forward_hooks_are_recorded():
    conv = nn.Conv2D(1, 1, 1)
    assert not conv._forward_pre_hooks and not conv._forward_post_hooks
    conv.register_forward_pre_hook(lambda layer, inputs: None)
    conv.register_forward_post_hook(lambda layer, inputs, out: None)
    assert conv._forward_pre_hooks and conv._forward_post_hooks


def test_batch_norm_attributes_and_running_statistics():
    bn = nn.BatchNorm2D(2, momentum=0.8, epsilon=1e-3)
    assert bn._data_format == 'NCHW' and bn._use_global_stats is None
    assert (bn._epsilon, bn._momentum) == (1e-3, 0.8)
    assert nn.BatchNorm2D(2, use_global_stats=True)._use_global_stats is True
    x = paddle.to_tensor(np.arange(16, dtype='float32').reshape([2, 2, 2, 2]))
    before = bn._mean.numpy().copy()
    bn.train()
    bn(x)
    batch_mean = x.numpy().mean(axis=(0, 2, 3))
    np.testing.assert_allclose(bn._mean.numpy(), 0.8 * before + 0.2 * batch_mean, rtol=1e-6)
    assert list(bn._variance.shape) == [2] and bn._variance.dtype == paddle.float32


def test_conv2d_grad_is_the_convolution_backward():
    rng = np.random.default_rng(1)
    x = paddle.to_tensor(rng.standard_normal([2, 3, 9, 8]).astype('float32'), stop_gradient=False)
    w = paddle.to_tensor(rng.standard_normal([4, 3, 3, 3]).astype('float32'), stop_gradient=False)
    y = F.conv2d(x, w, stride=2, padding=[1, 0, 2, 1], dilation=1)
    dy = paddle.to_tensor(rng.standard_normal(y.shape).astype('float32'))
    y.backward(dy)
    gx, gw = _C_ops.conv2d_grad(x, w, dy, [2, 2], [1, 0, 2, 1], 'EXPLICIT', [1, 1], 1, 'NCHW')
    np.testing.assert_array_equal(gx.numpy(), x.grad.numpy())
    np.testing.assert_array_equal(gw.numpy(), w.grad.numpy())


def test_affine_channel_adds_a_bias_per_channel():
    x = paddle.to_tensor(np.random.default_rng(2).standard_normal([2, 3, 4, 5]).astype('float32'))
    b = paddle.to_tensor(np.array([0.5, -1.0, 3.0], 'float32'))
    y = _C_ops.affine_channel(x, paddle.ones_like(b), b, 'NCHW')
    np.testing.assert_array_equal(y.numpy(), (x + b.reshape([1, -1, 1, 1])).numpy())


def test_multiclass_nms3_and_the_library_loader_exist():
    boxes = paddle.to_tensor(np.array([[[0, 0, 1, 1], [0, 0, 1, 1.01]]], 'float32'))
    scores = paddle.to_tensor(np.array([[[0.9, 0.8]]], 'float32'))
    out, index, num = _C_ops.multiclass_nms3(boxes, scores, None, 0.1, -1, 10, 0.5, True, 1.0,
                                             -1)
    assert out.shape == [1, 6] and int(num.numpy()[0]) == 1 and int(index.numpy()[0, 0]) == 0
    from paddle.utils.cpp_extension.extension_utils import _import_module_from_library
    params = list(inspect.signature(_import_module_from_library).parameters)
    assert params[:2] == ['module_name', 'build_directory']


def test_sub_layers_maps_names_to_children():
    parent, child = nn.Layer(), nn.Linear(1, 1)
    parent.add_sublayer('head', child)
    assert parent._sub_layers['head'] is child
