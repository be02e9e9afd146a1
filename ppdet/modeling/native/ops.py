"""Autograd wrappers of the native kernels, and the test of whether they can run at all.

Which operator a convolution uses is decided in one place, `ppdet.modeling.layers.conv_backend`
(with `kernels_usable` and `fusable_norm` from here); the convolution functions below run what
it chose, returning None only when the kernels are off or not built, and the kernels raise on
tensors they cannot take (they check shapes, dtypes and layout). `batch_norm_act`, for a norm
on its own, makes its own test and returns None when the kernels do not apply; the caller then
runs Paddle's operators. Parameters and buffers are the layers' own, so checkpoints, freezing
and optimisers see no difference.
"""
from __future__ import annotations

from typing import List, Optional

import paddle
from paddle.autograd import PyLayer

from ppdet.modeling.native.build import enabled, has_conv, native_module

ACT_CODES = {None: 0, 'none': 0, 'relu': 1, 'leaky': 2, 'relu6': 3}
LEAKY_SLOPE = 0.1


def kernels_usable(*tensors: paddle.Tensor, dense_conv: bool = False) -> bool:
    """The kernels can run on `tensors`: kernels on, dynamic mode, float32 CPU tensors, kernels
    built (checked last, so a GPU run never builds them), and for a dense convolution the kernel
    that needs a BLAS library."""
    if not enabled() or not paddle.in_dynamic_mode():
        return False
    for t in tensors:
        if t.dtype != paddle.float32 or not t.place.is_cpu_place():
            return False
    return has_conv() if dense_conv else native_module() is not None


def _dense(t: paddle.Tensor) -> paddle.Tensor:
    """The kernels index raw memory: strided views (slices with steps, transposes) are copied."""
    return t if t.is_contiguous() else t.contiguous()


def needs_grad(*tensors: paddle.Tensor) -> bool:
    return paddle.is_grad_enabled() and any(not t.stop_gradient for t in tensors)


class _ConvFunction(PyLayer):
    """A native conv `op` (forward) with `op`_grad_input / `op`_grad_filter as its backward."""

    @staticmethod
    def forward(ctx, x, w, op, attrs):
        ctx.save_for_backward(x, w)
        ctx.op, ctx.attrs = op, attrs
        return getattr(native_module(), op)(x, w, *attrs)

    @staticmethod
    def backward(ctx, dy):
        x, w = ctx.saved_tensor()
        dy = _dense(dy)
        mod = native_module()
        dx = None if x.stop_gradient else getattr(mod, ctx.op + '_grad_input')(x, w, dy,
                                                                               *ctx.attrs)
        dw = None if w.stop_gradient else getattr(mod, ctx.op + '_grad_filter')(x, w, dy,
                                                                                *ctx.attrs)
        return dx, dw


def _run_conv(op: str, x: paddle.Tensor, weight: paddle.Tensor, attrs: tuple) -> paddle.Tensor:
    x, weight = _dense(x), _dense(weight)
    if needs_grad(x, weight):
        return _ConvFunction.apply(x, weight, op, attrs)
    return getattr(native_module(), op)(x, weight, *attrs)


def conv2d(x: paddle.Tensor, weight: paddle.Tensor, stride: List[int], pads: List[int],
           dilation: List[int], strip_bytes: int) -> Optional[paddle.Tensor]:
    """Dense (groups=1) NCHW conv without bias; `pads` = [top, bottom, left, right]; the input
    is unfolded in strips of output rows of about `strip_bytes` each."""
    if not has_conv():
        return None
    attrs = (list(stride), list(pads), list(dilation), int(strip_bytes))
    return _run_conv('ppdet_strip_conv', x, weight, attrs)


def depthwise_conv2d(x: paddle.Tensor, weight: paddle.Tensor, stride: List[int],
                     pads: List[int], dilation: List[int]) -> Optional[paddle.Tensor]:
    """Depthwise (one filter per channel) NCHW conv without bias."""
    if native_module() is None:
        return None
    return _run_conv('ppdet_depthwise_conv', x, weight,
                     (list(stride), list(pads), list(dilation)))


class _BnActTrain(PyLayer):
    @staticmethod
    def forward(ctx, x, gamma, beta, mean, var, momentum, eps, act):
        y, bmean, invstd = native_module().ppdet_bn_act_train(
            x, gamma, beta, mean, var, momentum, eps, act, LEAKY_SLOPE)
        ctx.save_for_backward(x, gamma, beta, bmean, invstd)
        ctx.act = act
        return y

    @staticmethod
    def backward(ctx, dy):
        x, gamma, beta, bmean, invstd = ctx.saved_tensor()
        dy = _dense(dy)
        dx, dgamma, dbeta = native_module().ppdet_bn_act_train_grad(
            x, gamma, beta, bmean, invstd, dy, ctx.act, LEAKY_SLOPE)
        return ((None if x.stop_gradient else dx), (None if gamma.stop_gradient else dgamma),
                (None if beta.stop_gradient else dbeta), None, None)


def _plain_batch_norm(norm: paddle.nn.Layer, act: Optional[str]) -> bool:
    """A BatchNorm2D in NCHW with scale and shift, no forward hooks (the kernels would bypass
    them; freezing keeps a norm in eval mode through one), followed by a known activation."""
    return (act in ACT_CODES and isinstance(norm, paddle.nn.BatchNorm2D)
            and norm._data_format == 'NCHW' and norm.weight is not None
            and norm.bias is not None
            and not (norm._forward_pre_hooks or norm._forward_post_hooks))


def _global_stats(norm: paddle.nn.Layer) -> bool:
    return (not norm.training) or bool(norm._use_global_stats)


def fusable_norm(norm: paddle.nn.Layer, act: Optional[str]) -> bool:
    """`act(norm(.))` can be a convolution's epilogue: a plain BatchNorm2D (`_plain_batch_norm`)
    normalising with its running statistics."""
    return _plain_batch_norm(norm, act) and _global_stats(norm)


def batch_norm_act(x: paddle.Tensor, norm: paddle.nn.Layer,
                   act: Optional[str]) -> Optional[paddle.Tensor]:
    """`act(norm(x))` for a `nn.BatchNorm2D` in NCHW with scale and shift, in one kernel.

    Training mode uses batch statistics and updates the running ones (as Paddle does); eval
    mode and `use_global_stats` use the running ones. Frozen statistics with a gradient to the
    input (a frozen norm inside a trained block) and norms with forward hooks stay on Paddle's
    operators.
    """
    if not _plain_batch_norm(norm, act) or len(x.shape) != 4 or not kernels_usable(x, norm.weight):
        return None
    code = ACT_CODES[act]
    mod = native_module()
    x = _dense(x)
    if _global_stats(norm):
        if needs_grad(x, norm.weight, norm.bias):
            return None
        return mod.ppdet_bn_act_infer(x, norm.weight, norm.bias, norm._mean, norm._variance,
                                      float(norm._epsilon), code, LEAKY_SLOPE)
    if needs_grad(x, norm.weight, norm.bias):
        return _BnActTrain.apply(x, norm.weight, norm.bias, norm._mean, norm._variance,
                                 float(norm._momentum), float(norm._epsilon), code)
    y, _, _ = mod.ppdet_bn_act_train(x, norm.weight, norm.bias, norm._mean, norm._variance,
                                     float(norm._momentum), float(norm._epsilon), code,
                                     LEAKY_SLOPE)
    return y


def conv2d_bn_act_infer(x: paddle.Tensor, weight: paddle.Tensor, norm: paddle.nn.Layer,
                        act: Optional[str], stride: List[int], pads: List[int],
                        dilation: List[int], strip_bytes: int) -> Optional[paddle.Tensor]:
    """`act(norm(conv2d(x, weight)))` for inference (running statistics, no gradient), each
    strip normalised right after its GEMM: one pass over the output instead of two. For a norm
    that `fusable_norm` accepts, without gradients (`plan_conv` checks both)."""
    if not has_conv():
        return None
    return native_module().ppdet_strip_conv_bn_act_infer(
        _dense(x), _dense(weight), norm.weight, norm.bias, norm._mean, norm._variance,
        list(stride), list(pads), list(dilation), int(strip_bytes),
        float(norm._epsilon), ACT_CODES[act], LEAKY_SLOPE)
