"""`Conv2D`: nn.Conv2D with the same parameters and numbers, faster on the CPU.

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

3. Native kernels (ppdet.modeling.native): C++ strip convolution forward and backward, a
   direct depthwise loop, and BatchNorm + activation fused into the conv's inference.

Which of these a call takes is decided in one place, `conv_backend.plan_conv`, which lists
the order; the timings above were measured on one thread.
"""
from __future__ import annotations

from typing import Optional

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import _C_ops
from paddle.autograd import PyLayer

from ppdet.modeling.layers.conv_backend import ConvBackend, ConvPlan, conv_out_hw, plan_conv
from ppdet.modeling.native import ops as native_ops

__all__ = ['Conv2D', 'add_channel_bias']


def _strip_forward(layer: nn.Conv2D, x: paddle.Tensor, weight, plan: ConvPlan) -> paddle.Tensor:
    """Conv without bias, output rows in blocks of `plan.strip_rows`; each block reads only the
    input rows it needs and pads the top/bottom only where it touches the image border."""
    t, _, l, r = plan.pads
    (kh, _), (sh, _), (dh, _) = layer._kernel_size, layer._stride, layer._dilation
    h = x.shape[2]
    h_out, _ = conv_out_hw(layer, x.shape, plan.pads)
    outs = []
    for r0 in range(0, h_out, plan.strip_rows):
        r1 = min(h_out, r0 + plan.strip_rows)
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
    def forward(ctx, x, weight, layer, plan):
        ctx.save_for_backward(x, weight)
        ctx.layer, ctx.pads = layer, list(plan.pads)
        with paddle.no_grad():
            return _strip_forward(layer, x, weight, plan)

    @staticmethod
    def backward(ctx, dy):
        x, weight = ctx.saved_tensor()
        layer = ctx.layer
        gx, gw = _C_ops.conv2d_grad(x, weight, dy, list(layer._stride), ctx.pads,
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
    bias add, running each call as `conv_backend.plan_conv` decides: the native CPU kernels
    (ppdet.modeling.native) when they apply, the stripped forward for a large im2col, else
    Paddle's operator; static graphs and other layouts use nn.Conv2D's own forward.
    """

    def forward_norm_act(self, x: paddle.Tensor, norm: nn.Layer, act: Optional[str]):
        """`act(norm(self(x)))` in one native kernel when inferring, else None. Not for a
        conv with forward hooks: the fused call does not go through `__call__`."""
        plan = plan_conv(self, x, norm, act)
        if plan.backend is not ConvBackend.NATIVE_CONV_BN_ACT:
            return None
        return native_ops.conv2d_bn_act_infer(x, self.weight, norm, act, self._stride,
                                              plan.pads, self._dilation, plan.strip_bytes)

    def _convolve(self, plan: ConvPlan, x: paddle.Tensor) -> paddle.Tensor:
        """The convolution without bias, as `plan` says."""
        backend = plan.backend
        if backend is ConvBackend.NATIVE_DENSE:
            return native_ops.conv2d(x, self.weight, self._stride, plan.pads, self._dilation,
                                     plan.strip_bytes)
        if backend is ConvBackend.NATIVE_DEPTHWISE:
            return native_ops.depthwise_conv2d(x, self.weight, self._stride, plan.pads,
                                               self._dilation)
        if backend is ConvBackend.PYTHON_STRIPS:
            if paddle.is_grad_enabled() and not (x.stop_gradient and self.weight.stop_gradient):
                return _StripConv.apply(x, self.weight, self, plan)
            return _strip_forward(self, x, self.weight, plan)
        return F.conv2d(x, self.weight, None, stride=self._stride, padding=self._padding,
                        dilation=self._dilation, groups=self._groups)

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        plan = plan_conv(self, x)
        if plan.backend is ConvBackend.PADDLE_LAYER:
            return super().forward(x)  # static graphs, NHWC, other padding modes
        y = self._convolve(plan, x)
        if self.bias is not None:
            y = add_channel_bias(y, self.bias)
        return y
