"""Sigmoid focal loss (Lin et al., 2017) over class indices, the background index being C."""
from __future__ import annotations

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register

__all__ = ['FocalLoss']


@register
class FocalLoss(nn.Layer):
    """`loss(logits [N, C], target [N] in 0..C, reduction)`: target C (background) is an
    all-zero one-hot row."""

    def __init__(self, use_sigmoid: bool = True, gamma: float = 2.0, alpha: float = 0.25,
                 loss_weight: float = 1.0):
        super().__init__()
        if not use_sigmoid:
            raise ConfigError('FocalLoss: only the sigmoid form is supported (use_sigmoid: '
                              'true)')
        self.use_sigmoid = use_sigmoid
        self.gamma = gamma
        self.alpha = alpha
        self.loss_weight = loss_weight

    def forward(self, pred: paddle.Tensor, target: paddle.Tensor,
                reduction: str = 'none') -> paddle.Tensor:
        num_classes = pred.shape[1]
        one_hot = F.one_hot(target, num_classes + 1).cast(pred.dtype)[:, :-1].detach()
        loss = F.sigmoid_focal_loss(pred, one_hot, alpha=self.alpha, gamma=self.gamma,
                                    reduction=reduction)
        return loss * self.loss_weight
