"""Every private PaddlePaddle name ppdet relies on, in one list, with the versions it was tested on.

Paddle may rename or change any of these without notice. Each one only makes a CPU path faster
or lets a kernel read a layer's configuration, so a change would not necessarily fail loudly:
a missing attribute could send every convolution to a slower operator. `tests/modeling/
test_paddle_internals.py` therefore checks that each listed name exists and behaves as relied
on, and that ppdet uses no private Paddle name missing from this list.
"""
from __future__ import annotations

from typing import NamedTuple, Tuple

__all__ = ['PaddleInternal', 'PADDLE_INTERNALS', 'TESTED_PADDLE_VERSIONS']

# Versions the test of this list has passed on.
TESTED_PADDLE_VERSIONS = ('3.3.1',)


class PaddleInternal(NamedTuple):
    name: str       # attribute or dotted path, as used
    owner: str      # where it lives in Paddle
    used_in: str    # ppdet module(s) relying on it
    relied_on: str  # what ppdet assumes about it


PADDLE_INTERNALS: Tuple[PaddleInternal, ...] = (
    PaddleInternal('_C_ops.conv2d_grad', 'paddle._C_ops', 'modeling/layers/fast_conv.py',
                   'conv2d_grad(x, w, dy, strides, pads[4], "EXPLICIT", dilations, groups, '
                   '"NCHW") -> (dx, dw): the backward of the Python strip path'),
    PaddleInternal('_C_ops.affine_channel', 'paddle._C_ops', 'modeling/layers/fast_conv.py',
                   'affine_channel(x, scale, bias, "NCHW") = x * scale + bias per channel: the '
                   'fast bias add'),
    PaddleInternal('_C_ops.multiclass_nms3', 'paddle._C_ops', 'modeling/ops/nms.py',
                   'the multiclass_nms3 kernel in dynamic mode (fast_nms reproduces it)'),
    PaddleInternal('_import_module_from_library',
                   'paddle.utils.cpp_extension.extension_utils', 'modeling/native/build.py',
                   '(module_name, build_directory) loads a library built by '
                   'cpp_extension.load without rebuilding it'),
    PaddleInternal('_data_format', 'nn.Conv2D, nn.BatchNorm2D',
                   'modeling/layers/conv_backend.py, modeling/native/ops.py',
                   "'NCHW' or 'NHWC' as given to the constructor"),
    PaddleInternal('_padding_mode', 'nn.Conv2D', 'modeling/layers/conv_backend.py',
                   "'zeros', 'reflect', 'replicate' or 'circular'"),
    PaddleInternal('_padding_algorithm', 'nn.Conv2D', 'modeling/layers/conv_backend.py',
                   "'EXPLICIT' for numeric padding, 'SAME' / 'VALID' for those strings"),
    PaddleInternal('_updated_padding', 'nn.Conv2D', 'modeling/layers/conv_backend.py',
                   'explicit padding as [pad_h, pad_w] or [top, bottom, left, right]'),
    PaddleInternal('_padding', 'nn.Conv2D', 'modeling/layers/fast_conv.py',
                   'the padding argument as F.conv2d accepts it'),
    PaddleInternal('_kernel_size', 'nn.Conv2D', 'modeling/layers/conv_backend.py, fast_conv.py',
                   '[kh, kw]'),
    PaddleInternal('_stride', 'nn.Conv2D', 'modeling/layers/conv_backend.py, fast_conv.py',
                   '[sh, sw]'),
    PaddleInternal('_dilation', 'nn.Conv2D', 'modeling/layers/conv_backend.py, fast_conv.py',
                   '[dh, dw]'),
    PaddleInternal('_groups', 'nn.Conv2D', 'modeling/layers/conv_backend.py, fast_conv.py',
                   'the groups argument'),
    PaddleInternal('_in_channels', 'nn.Conv2D', 'modeling/layers/conv_backend.py',
                   'the in_channels argument'),
    PaddleInternal('_out_channels', 'nn.Conv2D', 'modeling/layers/conv_backend.py',
                   'the out_channels argument'),
    PaddleInternal('_forward_pre_hooks', 'nn.Layer',
                   'modeling/layers/conv_backend.py, modeling/native/ops.py',
                   'a mapping, non-empty once register_forward_pre_hook was called'),
    PaddleInternal('_forward_post_hooks', 'nn.Layer',
                   'modeling/layers/conv_backend.py, modeling/native/ops.py',
                   'a mapping, non-empty once register_forward_post_hook was called'),
    PaddleInternal('_use_global_stats', 'nn.BatchNorm2D',
                   'modeling/native/ops.py, checkpoint/frozen_start.py',
                   'the use_global_stats argument (None unless given)'),
    PaddleInternal('_mean', 'nn.BatchNorm2D', 'modeling/native/ops.py',
                   'the running mean, a [C] float32 tensor updated in place'),
    PaddleInternal('_variance', 'nn.BatchNorm2D', 'modeling/native/ops.py',
                   'the running variance, a [C] float32 tensor updated in place'),
    PaddleInternal('_epsilon', 'nn.BatchNorm2D', 'modeling/native/ops.py',
                   'the epsilon argument'),
    PaddleInternal('_momentum', 'nn.BatchNorm2D', 'modeling/native/ops.py',
                   'the momentum argument (running = momentum * running + (1 - momentum) * '
                   'batch)'),
    PaddleInternal('_sub_layers', 'nn.Layer', 'benchmark/shape_model.py',
                   'the mapping of direct sublayers by name that add_sublayer fills'),
)
