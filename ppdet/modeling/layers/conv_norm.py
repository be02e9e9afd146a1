"""Conv + norm + activation blocks with PaddleDetection 2.x parameter names.

Parameter names are part of our interface: zoo checkpoints are loaded by name, so a block's
sub-layer attribute names (`conv`, `batch_norm`) must not change.
"""
from __future__ import annotations

import warnings

from typing import Optional

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.regularizer import L2Decay

from ppdet.core.errors import ConfigError
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.native import ops as native_ops

__all__ = ['make_norm', 'FrozenStatsBatchNorm2D', 'freeze_layer', 'activation', 'ConvBNLayer']

NORM_TYPES = ('bn', 'sync_bn')


def _world_size() -> int:
    try:
        return paddle.distributed.get_world_size()
    except Exception:  # distributed package unavailable: single process
        return 1


def _on_gpu() -> bool:
    return paddle.device.get_device().startswith('gpu')


class FrozenStatsBatchNorm2D(nn.BatchNorm2D):
    """BatchNorm2D that always normalises with its running statistics (`use_global_stats`).

    Paddle's BatchNorm2D.forward warns "When training, we now always track global mean and
    variance" on every training call, which is untrue of a frozen norm (its statistics never
    move); this forward computes the same `batch_norm` without that warning. Names, state dict
    and hooks are BatchNorm2D's.
    """

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return F.batch_norm(x, self._mean, self._variance, weight=self.weight, bias=self.bias,
                            training=False, momentum=self._momentum, epsilon=self._epsilon,
                            data_format=self._data_format, use_global_stats=True)


def make_norm(channels: int, norm_type: str = 'bn', norm_decay: float = 0.,
              freeze_norm: bool = False, lr: float = 1.0) -> nn.Layer:
    """BatchNorm2D (epsilon 1e-5, momentum 0.9) with L2 decay `norm_decay` on scale and shift.

    `sync_bn` becomes SyncBatchNorm only when more than one process trains; in a single
    process it is plain BatchNorm2D (the state-dict names are the same either way).
    A frozen norm has learning rate 0, no gradient and uses its running statistics.
    """
    if norm_type not in NORM_TYPES:
        raise ConfigError(f'norm_type {norm_type!r} is not supported; use one of {NORM_TYPES}')
    norm_lr = 0. if freeze_norm else lr
    weight_attr = ParamAttr(learning_rate=norm_lr, regularizer=L2Decay(norm_decay),
                            trainable=not freeze_norm)
    bias_attr = ParamAttr(learning_rate=norm_lr, regularizer=L2Decay(norm_decay),
                          trainable=not freeze_norm)
    global_stats = True if freeze_norm else None
    if norm_type == 'sync_bn' and _world_size() > 1 and not _on_gpu():
        warnings.warn('norm_type sync_bn: PaddlePaddle has no SyncBatchNorm kernel on CPU, so '
                      'each process normalises with its own batch statistics (BatchNorm2D)')
    if norm_type == 'sync_bn' and _world_size() > 1 and _on_gpu():
        layer = nn.SyncBatchNorm(channels, weight_attr=weight_attr, bias_attr=bias_attr)
    else:
        kind = FrozenStatsBatchNorm2D if freeze_norm else nn.BatchNorm2D
        layer = kind(channels, weight_attr=weight_attr, bias_attr=bias_attr,
                     use_global_stats=global_stats)
    if freeze_norm:
        for p in layer.parameters():
            p.stop_gradient = True
    return layer


def freeze_layer(layer: nn.Layer) -> None:
    """Stop gradients of every parameter of `layer` (used by `freeze_at`)."""
    for p in layer.parameters():
        p.stop_gradient = True


def activation(x: paddle.Tensor, act: Optional[str], inplace: bool = False) -> paddle.Tensor:
    """Apply a named activation; 'leaky' is leaky ReLU with slope 0.1 as in YOLOv3.

    `inplace=True` overwrites `x` (ReLU and leaky ReLU only); callers pass it for a fresh
    BatchNorm output that nothing else reads — BatchNorm's backward needs its input, not its
    output — which spares one full-size buffer per layer and keeps the map in cache.
    """
    if act is None or act == 'none':
        return x
    if act == 'leaky':
        return F.leaky_relu_(x, 0.1) if inplace else F.leaky_relu(x, 0.1)
    if act == 'relu':
        return F.relu_(x) if inplace else F.relu(x)
    if act == 'relu6':
        return F.relu6(x)
    if act == 'mish':
        return F.mish(x)
    if act == 'swish':
        return F.swish(x)
    if act == 'hard_swish':
        return F.hardswish(x)
    raise ConfigError(f'unknown activation {act!r}')


def norm_activation(norm: nn.Layer, x: paddle.Tensor, act: Optional[str]) -> paddle.Tensor:
    """`act(norm(x))` for a fresh conv output `x`: the fused native kernel when it applies
    (ppdet.modeling.native), else Paddle's BatchNorm and an in-place activation."""
    y = native_ops.batch_norm_act(x, norm, act)
    if y is None:
        y = activation(norm(x), act, inplace=True)
    return y


def conv_norm_activation(conv: nn.Layer, norm: nn.Layer, x: paddle.Tensor,
                         act: Optional[str]) -> paddle.Tensor:
    """`act(norm(conv(x)))`: one fused native kernel for inference when it applies
    (`Conv2D.forward_norm_act`), else `norm_activation(norm, conv(x), act)`."""
    fused = getattr(conv, 'forward_norm_act', None)
    y = fused(x, norm, act) if fused is not None else None
    if y is None:
        y = norm_activation(norm, conv(x), act)
    return y


class ConvBNLayer(nn.Layer):
    """Conv2D without bias -> BatchNorm -> activation; sub-layers `conv` and `batch_norm`.

    This is the block of DarkNet and the YOLOv3 neck (default activation leaky ReLU 0.1);
    padding defaults to 'same' for odd kernels.
    """

    def __init__(self, ch_in: int, ch_out: int, filter_size: int = 3, stride: int = 1,
                 groups: int = 1, padding: Optional[int] = None, norm_type: str = 'bn',
                 norm_decay: float = 0., act: Optional[str] = 'leaky',
                 freeze_norm: bool = False, data_format: str = 'NCHW'):
        super().__init__()
        if padding is None:
            padding = (filter_size - 1) // 2
        self.conv = Conv2D(ch_in, ch_out, kernel_size=filter_size, stride=stride,
                           padding=padding, groups=groups, data_format=data_format,
                           bias_attr=False)
        self.batch_norm = make_norm(ch_out, norm_type, norm_decay, freeze_norm)
        self.act = act

    def forward(self, x: paddle.Tensor) -> paddle.Tensor:
        return conv_norm_activation(self.conv, self.batch_norm, x, self.act)
