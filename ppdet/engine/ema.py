"""Exponential moving average of model weights (`use_ema`), evaluated and saved beside them."""
from __future__ import annotations

from typing import Dict

import paddle

__all__ = ['ModelEMA']


class ModelEMA:
    """Keeps `ema = d * ema + (1 - d) * w` for every floating-point state entry.

    The decay ramps up as `min(decay, (1 + step) / (10 + step))` so early, noisy weights do not
    dominate; frozen parameters are copied rather than averaged (they never change anyway).
    """

    def __init__(self, model: paddle.nn.Layer, decay: float = 0.9998) -> None:
        self.decay = float(decay)
        self.step = 0
        self.state: Dict[str, paddle.Tensor] = {
            k: v.detach().clone() for k, v in model.state_dict().items()
            if paddle.is_floating_point(v)}

    @paddle.no_grad()
    def update(self, model: paddle.nn.Layer) -> None:
        self.step += 1
        d = min(self.decay, (1 + self.step) / (10 + self.step))
        for k, v in model.state_dict().items():
            if k in self.state:
                self.state[k] = self.state[k] * d + v.detach() * (1 - d)

    def state_dict(self) -> Dict[str, object]:
        """Averaged weights and the update count (saved in checkpoints for exact resume)."""
        return {'step': self.step, 'weights': dict(self.state)}

    def set_state_dict(self, state: Dict[str, object]) -> None:
        for k, v in dict(state['weights']).items():
            if k in self.state:
                self.state[k] = paddle.to_tensor(v, dtype=self.state[k].dtype)
        self.step = int(state['step'])

    def apply_to(self, model: paddle.nn.Layer) -> Dict[str, paddle.Tensor]:
        """Load the averaged weights into `model`; return the raw weights to restore later."""
        backup = {k: v.detach().clone() for k, v in model.state_dict().items() if k in self.state}
        model.set_state_dict(self.state)
        return backup
