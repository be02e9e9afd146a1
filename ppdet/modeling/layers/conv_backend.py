"""How each convolution runs: the one function that decides, and the numbers it decides by.

`plan_conv(layer, x)` returns a `ConvPlan` (plain data); `Conv2D` (fast_conv.py) applies it.
The first of these that applies wins:

1. PADDLE_LAYER     nn.Conv2D's own forward: static graphs, layouts other than NCHW, padding
                    modes other than zeros.
2. PADDLE_OP        F.conv2d on the whole input: 'SAME'/'VALID' padding or an input that is not
                    4-D (the cases below need explicit padding of a batch).
3. NATIVE_CONV_BN_ACT  only when asked with a norm (`plan_conv(layer, x, norm, act)`, used for
                    `act(norm(conv(x)))`): the C++ strip kernel with BatchNorm and activation
                    applied to each strip as it leaves the GEMM. Inference only (running
                    statistics, no gradient), groups 1, no bias, no forward hooks on the conv
                    (the fused call bypasses them). Otherwise the answer to that question is
                    SEPARATE: the conv runs through its own call (planned by 4-7 there), then
                    the norm.
4. NATIVE_DENSE     the C++ strip kernel, forward and backward: groups 1 and an im2col to do
                    (not a 1x1 stride-1 unpadded conv, which Paddle runs as one GEMM).
5. NATIVE_DEPTHWISE the C++ direct loop: one filter per channel (groups = in = out channels).
6. PYTHON_STRIPS    F.conv2d on strips of output rows, Paddle's conv2d_grad for the backward:
                    groups 1, not 1x1 stride 1, and an im2col of at least MIN_IM2COL_BYTES.
7. PADDLE_OP        F.conv2d on the whole input.

3-5 need the native kernels usable for the tensors (`native.ops.kernels_usable`: dynamic mode,
float32 CPU tensors, kernels on and built; 3 and 4 also need the BLAS-backed kernel). Every
backend computes the same convolution with the layer's own parameters; they differ only in
speed and in float32 summation order.
"""
from __future__ import annotations

import enum
from typing import NamedTuple, Optional, Sequence, Tuple

import paddle
import paddle.nn as nn

from ppdet.modeling.native import ops as native_ops

__all__ = ['ConvBackend', 'ConvPlan', 'plan_conv', 'conv_pads', 'conv_out_hw', 'strip_rows',
           'native_strip_bytes', 'STRIP_BYTES', 'MIN_IM2COL_BYTES', 'MIN_STRIP_COLS']

# Bytes of unfolded input (im2col) per strip, in both strip paths: fits the 2 MB L2 cache of the
# machines measured.
STRIP_BYTES = 2 << 20
# Full im2col buffer (bytes per image) from which the Python strip path pays off; measured on
# one thread (tests at 26 MB were slower stripped, at 50 MB faster).
MIN_IM2COL_BYTES = 40 << 20
# The native strips hold at least this many output columns, so the filter-gradient GEMM keeps
# a useful inner dimension.
MIN_STRIP_COLS = 512


class ConvBackend(enum.Enum):
    PADDLE_LAYER = 'paddle_layer'
    PADDLE_OP = 'paddle_op'
    NATIVE_CONV_BN_ACT = 'native_conv_bn_act'
    SEPARATE = 'separate'  # asked with a norm that does not fuse: conv, then norm
    NATIVE_DENSE = 'native_dense'
    NATIVE_DEPTHWISE = 'native_depthwise'
    PYTHON_STRIPS = 'python_strips'


class ConvPlan(NamedTuple):
    """How one call of a convolution runs (module docstring). A tuple: planned every call."""
    backend: ConvBackend
    pads: Tuple[int, int, int, int] = (0, 0, 0, 0)  # top, bottom, left, right (explicit only)
    strip_rows: int = 0   # PYTHON_STRIPS: output rows per strip
    strip_bytes: int = 0  # native strip kernels: im2col bytes per strip


def conv_pads(layer: nn.Conv2D) -> Tuple[int, int, int, int]:
    """[top, bottom, left, right] (Paddle keeps symmetric padding as [ph, pw] or 4 values)."""
    p = list(layer._updated_padding)
    if len(p) == 2:
        return (p[0], p[0], p[1], p[1])
    if len(p) == 4:
        return tuple(p)
    raise ValueError(f'unsupported padding {p}')


def conv_out_hw(layer: nn.Conv2D, x_shape: Sequence[int],
                pads: Tuple[int, int, int, int]) -> Tuple[int, int]:
    t, b, l, r = pads
    (kh, kw), (sh, sw), (dh, dw) = layer._kernel_size, layer._stride, layer._dilation
    h_out = (x_shape[2] + t + b - dh * (kh - 1) - 1) // sh + 1
    w_out = (x_shape[3] + l + r - dw * (kw - 1) - 1) // sw + 1
    return h_out, w_out


def strip_rows(layer: nn.Conv2D, x_shape: Sequence[int],
               pads: Tuple[int, int, int, int]) -> int:
    """Output rows per strip of the Python strip path, or 0 when it does not pay off (a small
    im2col, a 1x1 stride-1 conv that has none, a grouped conv)."""
    kh, kw = layer._kernel_size
    if layer._groups != 1 or (kh * kw == 1 and list(layer._stride) == [1, 1]):
        return 0
    h_out, w_out = conv_out_hw(layer, x_shape, pads)
    col_row = x_shape[1] * kh * kw * w_out * 4  # im2col bytes per output row
    if col_row * h_out < MIN_IM2COL_BYTES:
        return 0
    return max(1, STRIP_BYTES // col_row)


def native_strip_bytes(layer: nn.Conv2D, x_shape: Sequence[int],
                       pads: Tuple[int, int, int, int]) -> int:
    """Strip size for the native kernels: STRIP_BYTES, or more to hold MIN_STRIP_COLS columns."""
    kh, kw = layer._kernel_size
    _, out_w = conv_out_hw(layer, x_shape, pads)
    row = int(x_shape[1]) * int(kh) * int(kw) * out_w * 4
    rows_min = -(-MIN_STRIP_COLS // max(out_w, 1))
    return max(STRIP_BYTES, row * rows_min)


def _needs_im2col(layer: nn.Conv2D, pads: Tuple[int, int, int, int]) -> bool:
    kh, kw = layer._kernel_size
    return not (kh * kw == 1 and list(layer._stride) == [1, 1] and not any(pads))


def _fuses_norm(layer: nn.Conv2D, x: paddle.Tensor, norm: nn.Layer, act: Optional[str]) -> bool:
    return (layer.bias is None and layer._groups == 1
            and not (layer._forward_pre_hooks or layer._forward_post_hooks)
            and native_ops.fusable_norm(norm, act)
            and not native_ops.needs_grad(x, layer.weight, norm.weight, norm.bias)
            and native_ops.kernels_usable(x, layer.weight, norm.weight, dense_conv=True))


def plan_conv(layer: nn.Conv2D, x: paddle.Tensor, norm: Optional[nn.Layer] = None,
              act: Optional[str] = None) -> ConvPlan:
    """How `layer` convolves `x`; with `norm`, whether `act(norm(conv(x)))` runs as one kernel
    (NATIVE_CONV_BN_ACT) or not (SEPARATE). The module docstring gives the order checked here."""
    if (not paddle.in_dynamic_mode() or layer._data_format != 'NCHW'
            or layer._padding_mode != 'zeros'):
        return ConvPlan(ConvBackend.PADDLE_LAYER)
    if layer._padding_algorithm != 'EXPLICIT' or len(x.shape) != 4:
        return ConvPlan(ConvBackend.PADDLE_OP)
    pads = conv_pads(layer)
    if norm is not None:
        if not _fuses_norm(layer, x, norm, act):
            return ConvPlan(ConvBackend.SEPARATE, pads)
        return ConvPlan(ConvBackend.NATIVE_CONV_BN_ACT, pads,
                        strip_bytes=native_strip_bytes(layer, x.shape, pads))
    groups = layer._groups
    if (groups == 1 and _needs_im2col(layer, pads)
            and native_ops.kernels_usable(x, layer.weight, dense_conv=True)):
        return ConvPlan(ConvBackend.NATIVE_DENSE, pads,
                        strip_bytes=native_strip_bytes(layer, x.shape, pads))
    if (groups != 1 and groups == layer._in_channels == layer._out_channels
            and native_ops.kernels_usable(x, layer.weight)):
        return ConvPlan(ConvBackend.NATIVE_DEPTHWISE, pads)
    rows = strip_rows(layer, x.shape, pads)
    if rows:
        return ConvPlan(ConvBackend.PYTHON_STRIPS, pads, strip_rows=rows)
    return ConvPlan(ConvBackend.PADDLE_OP, pads)
