"""Learning-rate schedules and the optimizer builder of the dialect.

The schedule is a pure function of the global step (`LearningRate.lr_at`), so resuming only
needs the step count and two runs with the same step see the same rate.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

import paddle

from ppdet.core.errors import ConfigError, did_you_mean
from ppdet.core.workspace import register, serializable

__all__ = ['PiecewiseDecay', 'CosineDecay', 'LinearWarmup', 'LearningRate', 'OptimizerBuilder',
           'StepLR']


@serializable
class PiecewiseDecay:
    """Multiply the rate by `gamma[i]` from epoch `milestones[i]` on (or use `values`)."""

    def __init__(self, gamma: Union[float, List[float]] = [0.1, 0.01],
                 milestones: List[int] = [8, 11], values: Optional[List[float]] = None,
                 use_warmup: bool = True) -> None:
        self.gamma = gamma
        self.milestones = list(milestones)
        self.values = values
        self.use_warmup = use_warmup

    def lr_at(self, step: int, base_lr: float, steps_per_epoch: int) -> float:
        if self.values is not None:
            values = list(self.values)
        elif isinstance(self.gamma, (list, tuple)):
            values = [base_lr] + [base_lr * g for g in self.gamma]
        else:
            values = [base_lr * (self.gamma ** i) for i in range(len(self.milestones) + 1)]
        idx = sum(1 for m in self.milestones if step >= m * steps_per_epoch)
        return values[min(idx, len(values) - 1)]


@serializable
class CosineDecay:
    """Cosine from `base_lr` to `base_lr * min_lr_ratio` over `max_epochs` (after warm-up)."""

    def __init__(self, max_epochs: int = 1000, use_warmup: bool = True,
                 min_lr_ratio: float = 0.0, last_plateau_epochs: int = 0) -> None:
        self.max_epochs = max_epochs
        self.use_warmup = use_warmup
        self.min_lr_ratio = min_lr_ratio
        self.last_plateau_epochs = last_plateau_epochs

    def lr_at(self, step: int, base_lr: float, steps_per_epoch: int,
              warmup_steps: int = 0) -> float:
        min_lr = base_lr * self.min_lr_ratio
        total = max(1, (self.max_epochs - self.last_plateau_epochs) * steps_per_epoch
                    - warmup_steps)
        t = min(max(step - warmup_steps, 0), total)
        return min_lr + (base_lr - min_lr) * 0.5 * (math.cos(t * math.pi / total) + 1.0)


@serializable
class LinearWarmup:
    """Ramp linearly from `start_factor * lr` to `lr` over `steps` (or `epochs`) iterations."""

    def __init__(self, steps: int = 500, start_factor: float = 1.0 / 3,
                 epochs: Optional[int] = None, epochs_first: bool = True) -> None:
        self.steps = steps
        self.start_factor = start_factor
        self.epochs = epochs
        self.epochs_first = epochs_first

    def num_steps(self, steps_per_epoch: int) -> int:
        if self.epochs is not None and (self.epochs_first or not self.steps):
            return int(self.epochs * steps_per_epoch)
        return int(self.steps)

    def factor(self, step: int, steps_per_epoch: int) -> float:
        n = self.num_steps(steps_per_epoch)
        if n <= 0 or step >= n:
            return 1.0
        alpha = step / n
        return self.start_factor * (1 - alpha) + alpha


@register
class LearningRate:
    """`base_lr` shaped by one decay schedule and an optional warm-up."""
    __inject__ = ['schedulers']

    def __init__(self, base_lr: float = 0.01,
                 schedulers: Optional[List[Any]] = None) -> None:
        self.base_lr = float(base_lr)
        self.schedulers = list(schedulers) if schedulers is not None else \
            [PiecewiseDecay(), LinearWarmup()]
        decays = [s for s in self.schedulers if hasattr(s, 'lr_at')]
        warmups = [s for s in self.schedulers if isinstance(s, LinearWarmup)]
        if len(decays) > 1 or len(warmups) > 1:
            raise ConfigError('LearningRate.schedulers: give at most one decay schedule '
                              '(PiecewiseDecay or CosineDecay) and one LinearWarmup')
        self.decay = decays[0] if decays else None
        self.warmup = warmups[0] if warmups else None

    def lr_at(self, step: int, steps_per_epoch: int) -> float:
        steps_per_epoch = max(1, int(steps_per_epoch))
        use_warmup = self.warmup is not None and getattr(self.decay, 'use_warmup', True)
        warm = self.warmup.num_steps(steps_per_epoch) if use_warmup else 0
        if isinstance(self.decay, CosineDecay):
            lr = self.decay.lr_at(step, self.base_lr, steps_per_epoch, warm)
        elif self.decay is not None:
            lr = self.decay.lr_at(step, self.base_lr, steps_per_epoch)
        else:
            lr = self.base_lr
        if use_warmup:
            lr *= self.warmup.factor(step, steps_per_epoch)
        return lr

    def build(self, steps_per_epoch: int) -> 'StepLR':
        return StepLR(self, steps_per_epoch)


class StepLR(paddle.optimizer.lr.LRScheduler):
    """Paddle scheduler over `LearningRate.lr_at`; its state is the step count."""

    def __init__(self, schedule: LearningRate, steps_per_epoch: int) -> None:
        self.schedule = schedule
        self.steps_per_epoch = steps_per_epoch
        super().__init__(learning_rate=schedule.base_lr, last_epoch=-1, verbose=False)

    def get_lr(self) -> float:
        return self.schedule.lr_at(max(self.last_epoch, 0), self.steps_per_epoch)


_OPTIMIZERS: Dict[str, str] = {
    'Momentum': 'Momentum', 'SGD': 'SGD', 'Adam': 'Adam', 'AdamW': 'AdamW',
    'RMSProp': 'RMSProp',
}
_OPTIMIZER_KEYS: Dict[str, Sequence[str]] = {
    'Momentum': ('momentum', 'use_nesterov'),
    'SGD': (),
    'Adam': ('beta1', 'beta2', 'epsilon'),
    'AdamW': ('beta1', 'beta2', 'epsilon', 'weight_decay'),
    'RMSProp': ('rho', 'epsilon', 'momentum', 'centered'),
}


@register
class OptimizerBuilder:
    """Momentum/SGD/Adam/AdamW/RMSProp with L2 regularisation and gradient clipping."""

    def __init__(self, clip_grad_by_norm: Optional[float] = None,
                 clip_grad_by_value: Optional[float] = None,
                 regularizer: Optional[Dict[str, Any]] = {'type': 'L2', 'factor': 0.0001},
                 optimizer: Dict[str, Any] = {'type': 'Momentum', 'momentum': 0.9}) -> None:
        for problem in self.config_problems({'optimizer': optimizer, 'regularizer': regularizer}):
            raise ConfigError(f'OptimizerBuilder: {problem[1]}')
        self.clip_grad_by_norm = clip_grad_by_norm
        self.clip_grad_by_value = clip_grad_by_value
        self.regularizer = dict(regularizer) if regularizer else None
        self.optimizer = dict(optimizer)

    @staticmethod
    def config_problems(section: Mapping[str, Any]) -> List[tuple]:
        """Problems with the free-form `optimizer`/`regularizer` mappings, as (key, message)."""
        out = []
        opt = section.get('optimizer')
        if isinstance(opt, Mapping):
            kind = opt.get('type', 'Momentum')
            if kind not in _OPTIMIZERS:
                out.append(('optimizer', f'optimizer.type {kind!r} is not supported (use one of '
                            f'{", ".join(_OPTIMIZERS)})' + did_you_mean(str(kind), _OPTIMIZERS)))
            else:
                for key in opt:
                    if key != 'type' and key not in _OPTIMIZER_KEYS[kind]:
                        out.append(('optimizer', f'unknown key optimizer.{key} for {kind}'
                                    + did_you_mean(key, _OPTIMIZER_KEYS[kind])))
        reg = section.get('regularizer')
        if isinstance(reg, Mapping):
            for key in reg:
                if key not in ('type', 'factor'):
                    out.append(('regularizer', f'unknown key regularizer.{key}'
                                + did_you_mean(key, ('type', 'factor'))))
            if reg.get('type', 'L2') not in ('L1', 'L2'):
                out.append(('regularizer', 'regularizer.type must be L1 or L2'))
        return out

    def build(self, learning_rate: Any, parameters: List[Any]) -> paddle.optimizer.Optimizer:
        """An optimizer over the trainable `parameters` (frozen ones are left out)."""
        params = [p for p in parameters if not p.stop_gradient]
        clip = None
        if self.clip_grad_by_norm:
            clip = paddle.nn.ClipGradByGlobalNorm(clip_norm=self.clip_grad_by_norm)
        elif self.clip_grad_by_value:
            v = abs(self.clip_grad_by_value)
            clip = paddle.nn.ClipGradByValue(min=-v, max=v)
        opt = dict(self.optimizer)
        kind = opt.pop('type', 'Momentum')
        if kind != 'AdamW' and self.regularizer and self.regularizer.get('factor'):
            reg_cls = (paddle.regularizer.L2Decay if self.regularizer.get('type', 'L2') == 'L2'
                       else paddle.regularizer.L1Decay)
            opt['weight_decay'] = reg_cls(float(self.regularizer['factor']))
        cls = getattr(paddle.optimizer, _OPTIMIZERS[kind])
        return cls(learning_rate=learning_rate, parameters=params, grad_clip=clip, **opt)
