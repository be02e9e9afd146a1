"""Smooth L1 (Huber with transition `beta`); beta below 1e-5 is plain L1."""
from __future__ import annotations

import paddle
import paddle.nn as nn

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register

__all__ = ['SmoothL1Loss']


@register
class SmoothL1Loss(nn.Layer):
    def __init__(self, beta: float = 1.0, loss_weight: float = 1.0):
        super().__init__()
        self.beta = beta
        self.loss_weight = loss_weight

    def forward(self, pred: paddle.Tensor, target: paddle.Tensor,
                reduction: str = 'none') -> paddle.Tensor:
        if reduction not in ('none', 'mean', 'sum'):
            raise ConfigError(f'SmoothL1Loss: reduction {reduction!r} must be none, mean or sum')
        diff = paddle.abs(pred - target.detach())
        if self.beta < 1e-5:
            loss = diff
        else:
            loss = paddle.where(diff < self.beta, 0.5 * diff ** 2 / self.beta,
                                diff - 0.5 * self.beta)
        if reduction == 'mean':
            loss = loss.mean() if loss.size > 0 else pred.sum() * 0
        elif reduction == 'sum':
            loss = loss.sum()
        return loss * self.loss_weight
