"""Where one forward pass spends its time, part by part, for `tools/benchmark.py model`.

The parts are the architecture's sub-layers two levels deep (`backbone`, `neck`, `rpn_head`,
`rpn_head.rpn_feat`, ...) and the helpers they call that are not layers but carry the work
the native kernels do not cover (`rpn_head.train_proposal`, `rpn_head.rpn_target_assign`,
`bbox_head.roi_extractor`, `bbox_head.bbox_assigner`, ...). Layers are timed by forward
hooks; helpers by a stand-in that times each call. Both are removed on leaving
`instrumented`, and the timed runs of the benchmark happen before it, without them: the
breakdown comes from one separate run. On CPU Paddle's dygraph operators finish before they
return, so wall time inside a part is the part's own cost.
"""
from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from typing import Any, Dict, Iterator, List, Tuple

import paddle.nn as nn

__all__ = ['instrumented', 'render_breakdown']

DEPTH = 2


class _Clock:
    """Seconds and calls per part name; re-entrant (a part may call itself)."""

    def __init__(self) -> None:
        self.seconds: Dict[str, float] = defaultdict(float)
        self.calls: Dict[str, int] = defaultdict(int)
        self._started: Dict[str, List[float]] = defaultdict(list)

    def enter(self, name: str) -> None:
        self._started[name].append(time.perf_counter())

    def leave(self, name: str) -> None:
        self.seconds[name] += time.perf_counter() - self._started[name].pop()
        self.calls[name] += 1


class _TimedHelper:
    """Stands in for a helper object: its calls are timed, everything else is passed on."""

    def __init__(self, wrapped: Any, name: str, clock: _Clock) -> None:
        self.__dict__.update(timed_object=wrapped, timed_label=name, timed_clock=clock)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.timed_clock.enter(self.timed_label)
        try:
            return self.timed_object(*args, **kwargs)
        finally:
            self.timed_clock.leave(self.timed_label)

    def __getattr__(self, key: str) -> Any:
        return getattr(self.timed_object, key)


def _is_helper(value: Any) -> bool:
    kind = type(value)
    return (not isinstance(value, nn.Layer) and kind.__module__.startswith('ppdet.')
            and callable(value) and '__call__' in vars(kind))


def _layers(model: nn.Layer) -> List[Tuple[str, nn.Layer]]:
    return [(name, layer) for name, layer in model.named_sublayers()
            if name.count('.') < DEPTH]


@contextlib.contextmanager
def instrumented(model: nn.Layer) -> Iterator[_Clock]:
    """Time every part of `model` while inside; the model is as before on leaving."""
    clock, hooks, helpers = _Clock(), [], []
    for name, layer in _layers(model):
        hooks.append(layer.register_forward_pre_hook(
            lambda _l, _i, n=name: clock.enter(n)))
        hooks.append(layer.register_forward_post_hook(
            lambda _l, _i, _o, n=name: clock.leave(n)))
    for name, layer in [('', model)] + _layers(model):
        for attr, value in list(vars(layer).items()):
            if _is_helper(value):
                helpers.append((layer, attr, value))
                label = f'{name}.{attr}' if name else attr
                object.__setattr__(layer, attr, _TimedHelper(value, label, clock))
    try:
        yield clock
    finally:
        for hook in hooks:
            hook.remove()
        for layer, attr, value in helpers:
            object.__setattr__(layer, attr, value)


def render_breakdown(clock: _Clock, total: float, title: str) -> List[str]:
    """Lines: each part's seconds and share of `total`, children indented under their parent,
    the rest of `total` (the architecture's own code, the backward pass) last."""
    lines = [f'{title} ({total:.3f} s, one instrumented run)']
    tops = [n for n in clock.seconds if '.' not in n]
    for top in sorted(tops, key=lambda n: -clock.seconds[n]):
        lines.append(_row(top, clock.seconds[top], total, clock.calls[top], 2))
        kids = [n for n in clock.seconds if n.startswith(top + '.')]
        for kid in sorted(kids, key=lambda n: -clock.seconds[n]):
            if clock.seconds[kid] >= 0.005 * total:
                lines.append(_row(kid, clock.seconds[kid], total, clock.calls[kid], 4))
    rest = total - sum(clock.seconds[n] for n in tops)
    lines.append(_row('(outside the parts)', rest, total, None, 2))
    return lines


def _row(name: str, seconds: float, total: float, calls: Any, indent: int) -> str:
    share = 100.0 * seconds / total if total > 0 else 0.0
    times = f'  x{calls}' if calls and calls > 1 else ''
    return f'{" " * indent}{name:<{40 - indent}}{seconds:>8.3f} s {share:>5.1f}%{times}'
