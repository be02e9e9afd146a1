"""Deterministic weights from parameter names, as the parity fixtures were made.

Each state-dict entry gets values from a generator seeded by crc32 of its name, so any two
implementations that share parameter names produce identical models without sharing files.
Arithmetic follows numpy >= 2 rules: float32 constants and operations, except the 4-D/2-D
fan-in division which is done in float64 and rounded once.
"""
from __future__ import annotations

import functools
import hashlib
import math
import zlib
from typing import Dict, Mapping, Sequence, Tuple

import numpy as np

__all__ = ['recipe_value', 'recipe_state_dict', 'apply_recipe', 'state_dict_sha256', 'rule_of']


def rule_of(name: str, shape: Sequence[int]) -> str:
    """Which recipe rule applies (first match wins)."""
    if name.endswith('_variance'):
        return 'variance'
    if name.endswith('_mean'):
        return 'mean'
    if len(shape) == 1 and name.endswith('.weight'):
        return 'weight1d'
    if name.endswith('.bias'):
        return 'bias'
    if len(shape) == 4:
        return 'conv4d'
    if len(shape) == 2:
        return 'fc2d'
    return 'other'


def recipe_value(name: str, shape: Sequence[int], salt: str = '') -> np.ndarray:
    """The float32 array the recipe assigns to entry `name` of `shape` (read-only: values are
    computed once per name, shape and salt, since models of one family share most names)."""
    return _recipe_value(name, tuple(int(s) for s in shape), salt)


@functools.lru_cache(maxsize=4096)
def _recipe_value(name: str, shape: Tuple[int, ...], salt: str) -> np.ndarray:
    v = _compute(name, shape, salt)
    v.setflags(write=False)
    return v


def _compute(name: str, shape: Tuple[int, ...], salt: str) -> np.ndarray:
    seed = zlib.crc32((salt + name).encode('utf-8')) & 0xFFFFFFFF
    x64 = np.random.RandomState(seed).standard_normal(shape)
    x = x64.astype(np.float32)
    f = np.float32
    rule = rule_of(name, shape)
    if rule == 'variance':
        v = f(0.5) + f(0.5) * np.abs(x)
    elif rule == 'mean':
        v = f(0.1) * x
    elif rule == 'weight1d':
        v = f(1) + f(0.1) * x
    elif rule == 'bias':
        v = f(0.05) * x
    elif rule == 'conv4d':
        v = x.astype(np.float64) / math.sqrt(shape[1] * shape[2] * shape[3])
    elif rule == 'fc2d':
        v = x.astype(np.float64) / math.sqrt(shape[0])
    else:
        v = f(0.1) * x
    return np.asarray(v, dtype=np.float32)


def recipe_state_dict(shapes: Mapping[str, Sequence[int]], salt: str = ''
                      ) -> Dict[str, np.ndarray]:
    return {name: recipe_value(name, shape, salt) for name, shape in shapes.items()}


def apply_recipe(model, salt: str = '') -> Dict[str, np.ndarray]:
    """Overwrite every state-dict entry of a Paddle layer; returns the arrays used."""
    shapes = {k: list(v.shape) for k, v in model.state_dict().items()}
    values = recipe_state_dict(shapes, salt)
    model.set_state_dict(values)
    return values


def state_dict_sha256(values: Mapping[str, np.ndarray]) -> Tuple[str, int]:
    """sha256 over float32 little-endian bytes in sorted-name order, and element count."""
    h = hashlib.sha256()
    n = 0
    for name in sorted(values):
        arr = np.ascontiguousarray(values[name], dtype='<f4')
        h.update(arr.tobytes())
        n += arr.size
    return h.hexdigest(), n
