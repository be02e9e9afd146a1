"""`Conv2D`: nn.Conv2D with the same parameters and numbers, faster on one CPU thread.

1. Bias. nn.Conv2D adds its bias with a broadcasting `add` ([B,C,H,W] + [1,C,1,1]), whose CPU
   kernel is slow (VGG-SSD training: 230 ms forward + 340 ms backward per step, about 12% of
   it). `affine_channel` with a unit scale gives the same sums bit for bit at a third of the
   cost, and its backward here is the identity for the input plus one sum over (B, H, W) for
   the bias (equal up to float32 summation order, ~1e-6 relative).

2. Strips. Paddle's CPU conv kernel unfolds the whole input (im2col, C*k*k x H_out*W_out
   floats per image) before one GEMM. On large maps with few channels (VGG's conv1_2: 64 ch
   at 300x300, a 207 MB buffer; conv2_x; DarkNet's first 3x3 convs at 208x208) the buffer
   is far bigger than the cache and the conv runs at a third of the speed of the deeper
   layers (measured: 36 vs 150 GFLOP/s on one thread). Convolving strips of output rows
   whose unfolded input fits in about 2 MB and concatenating them gives the same numbers bit
   for bit (each output element is the same dot product in the same order), 10-25% faster
   on those layers. Only the forward is stripped; in training the backward is Paddle's own
   conv2d_grad on the whole tensors (stripping it measured slower).

Small convs, 1x1 stride-1 convs (no im2col) and grouped convs take the normal kernel;
non-NCHW layouts, other padding modes and static graphs use nn.Conv2D's forward unchanged.
"""
from __future__ import annotations

from typing import List, Optional

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import _C_ops
from paddle.autograd import PyLayer

from ppdet.modeling.native import ops as native_ops

__all__ = ['Conv2D', 'strip_rows', 'add_channel_bias']

# Full im2col buffer (bytes per image) from which stripping pays off, and the per-strip
# target; both measured on one thread (tests at 26 MB were slower stripped, at 50 MB faster).
MIN_IM2COL_BYTES = 40 << 20
STRIP_BYTES = 2 << 20


def strip_rows(layer: nn.Conv2D, x_shape) -> int:
    """Output rows per strip for `layer` on input `x_shape`, or 0 to use the normal kernel."""
    if (layer._data_format != 'NCHW' or layer._groups != 1
            or layer._padding_algorithm != 'EXPLICIT' or layer._padding_mode != 'zeros'):
        return 0
    kh, kw = layer._kernel_size
    if kh * kw == 1 and list(layer._stride) == [1, 1]:
        return 0
    h_out, w_out = _out_hw(layer, x_shape)
    col_row = x_shape[1] * kh * kw * w_out * 4  # im2col bytes per output row
    if col_row * h_out < MIN_IM2COL_BYTES:
        return 0
    return max(1, STRIP_BYTES // col_row)


def _pads(layer) -> List[int]:
    """[top, bottom, left, right] (Paddle keeps symmetric padding as [ph, pw] or 4 values)."""
    p = list(layer._updated_padding)
    if len(p) == 2:
        return [p[0], p[0], p[1], p[1]]
    if len(p) == 4:
        return p
    raise ValueError(f'unsupported padding {p}')


def _out_hw(layer, x_shape):
    t, b, l, r = _pads(layer)
    (kh, kw), (sh, sw), (dh, dw) = layer._kernel_size, layer._stride, layer._dilation
    h_out = (x_shape[2] + t + b - dh * (kh - 1) - 1) // sh + 1
    w_out = (x_shape[3] + l + r - dw * (kw - 1) - 1) // sw + 1
    return h_out, w_out


def _strip_forward(layer, x: paddle.Tensor, weight, rows: int) -> paddle.Tensor:
    """Conv without bias, output rows in blocks of `rows`; each block reads only the input
    rows it needs and pads the top/bottom only where it touches the image border."""
    t, _, l, r = _pads(layer)
    (kh, _), (sh, _), (dh, _) = layer._kernel_size, layer._stride, layer._dilation
    h = x.shape[2]
    h_out, _ = _out_hw(layer, x.shape)
    outs = []
    for r0 in range(0, h_out, rows):
        r1 = min(h_out, r0 + rows)
        start = r0 * sh - t
        stop = (r1 - 1) * sh - t + dh * (kh - 1) + 1
        pt, pb = max(0, -start), max(0, stop - h)
        xs = x[:, :, max(0, start):min(h, stop)]
        outs.append(F.conv2d(xs, weight, None, stride=layer._stride, padding=[pt, pb, l, r],
                             dilation=layer._dilation))
    return paddle.concat(outs, axis=2)


class _StripConv(PyLayer):
    """Stripped forward, Paddle's conv2d_grad on the whole tensors for the backward."""

    @staticmethod
    def forward(ctx, x, weight, layer, rows):
        ctx.save_for_backward(x, weight)
        ctx.layer = layer
        with paddle.no_grad():
            return _strip_forward(layer, x, weight, rows)

    @staticmethod
    def backward(ctx, dy):
        x, weight = ctx.saved_tensor()
        layer = ctx.layer
        gx, gw = _C_ops.conv2d_grad(x, weight, dy, list(layer._stride), _pads(layer),
                                    'EXPLICIT', list(layer._dilation), 1, 'NCHW')
        return (None if x.stop_gradient else gx), (None if weight.stop_gradient else gw)


class _ChannelBias(PyLayer):
    """x [B,C,H,W] + bias [C] through affine_channel; backward: identity and a channel sum."""

    @staticmethod
    def forward(ctx, x, bias):
        ctx.needs = (not x.stop_gradient, not bias.stop_gradient)
        with paddle.no_grad():
            return _C_ops.affine_channel(x, paddle.ones_like(bias), bias, 'NCHW')

    @staticmethod
    def backward(ctx, dy):
        need_x, need_b = ctx.needs
        return (dy if need_x else None), (dy.sum([0, 2, 3]) if need_b else None)


def add_channel_bias(x: paddle.Tensor, bias: paddle.Tensor) -> paddle.Tensor:
    """`x + bias.reshape([1, -1, 1, 1])` for NCHW `x`, with fast kernels (module docstring)."""
    if not paddle.in_dynamic_mode():
        return x + bias.reshape([1, -1, 1, 1])
    if paddle.is_grad_enabled() and not (x.stop_gradient and bias.stop_gradient):
        return _ChannelBias.apply(x, bias)
    return _C_ops.affine_channel(x, paddle.ones_like(bias), bias, 'NCHW')


class Conv2D(nn.Conv2D):
    """Drop-in `nn.Conv2D` (same parameters `weight` / `bias`, same numbers) with the fast
    bias add and, for convolutions with a large im2col buffer, the stripped forward; see the
    module docstring. Other layouts and static graphs use nn.Conv2D's own forward.

    With the native CPU kernels (ppdet.modeling.native) dense convolutions that need an
    im2col run strip-wise forward and backward, and depthwise ones run a direct loop.
    """

    def _plain(self, x: paddle.Tensor) -> bool:
        """A layout and padding the native kernels take (they also check dtype and device)."""
        return (paddle.in_dynamic_mode() and self._data_format == 'NCHW'
                and self._padding_mode == 'zeros' and self._padding_algorithm == 'EXPLICIT'
                and len(x.shape) == 4)

    def forward_norm_act(self, x: paddle.Tensor, norm: nn.Layer, act: Optional[str]):
        """`act(norm(self(x)))` in one native kernel when inferring, else None. Not for a
        conv with forward hooks: the fused call does not go through `__call__`."""
        if (self.bias is not None or self._groups != 1 or not self._plain(x)
                or self._forward_pre_hooks or self._forward_post_hooks):
            return None
        _, w_out = _out_hw(self, x.shape)
        return native_ops.conv2d_bn_act_infer(x, self.weight, norm, act, self._stride,
                                              _pads(self), self._dilation, w_out)

    def _native(self, x: paddle.Tensor):
        if not self._plain(x):
            return None
        kh, kw = self._kernel_size
        pads = _pads(self)
        if self._groups == 1:
            if kh * kw == 1 and list(self._stride) == [1, 1] and not any(pads):
                return None  # no im2col: Paddle's kernel is one GEMM already
            _, w_out = _out_hw(self, x.shape)
            return native_ops.conv2d(x, self.weight, self._stride, pads, self._dilation, w_out)
        if self._groups == self._in_channels == self._out_channels:
            return native_ops.depthwise_conv2d(x, self.weight, self._stride, pads,
                                               self._dilation)
        return None

    def _paddle_conv(self, x: paddle.Tensor) -> paddle.Tensor:
        rows = strip_rows(self, x.shape)
        if not rows:
            return F.conv2d(x, self.weight, None, stride=self._stride, padding=self._padding,
                            dilation=self._dilation, groups=self._groups)
        if paddle.is_grad_enabled() and not (x.stop_gradient and self.weight.stop_gradient):
            return _StripConv.apply(x, self.weight, self, rows)
        return _strip_forward(self, x, self.weight, rows)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        if (not paddle.in_dynamic_mode() or self._data_format != 'NCHW'
                or self._padding_mode != 'zeros'):
            return super().forward(x)  # static graphs, NHWC, other padding modes
        y = self._native(x)
        if y is None:
            y = self._paddle_conv(x)
        if self.bias is not None:
            y = add_channel_bias(y, self.bias)
        return y
