"""Translate training state to and from plain data: optimizer names, RNG states, tensors.

Paddle keys optimizer accumulators by *internal* parameter names (`conv2d_3.w_0_velocity_0`),
which depend on how many layers the process created before — a model rebuilt in another order
(or a second model in one process) gets other names. We store them under the structured
state-dict name instead (`backbone.conv1.weight@@_velocity_0`) and map back on resume.
"""
from __future__ import annotations

import random
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np
import paddle

__all__ = ['to_numpy_tree', 'numpy_dtype_of', 'set_tensor', 'optimizer_state_to_structured',
           'optimizer_state_from_structured',
           'capture_rng', 'restore_rng', 'SEP']

SEP = '@@'


def to_numpy_tree(obj: Any) -> Any:
    """Tensors -> numpy arrays, recursively through dicts/lists/tuples; other values as is."""
    if isinstance(obj, dict):
        return {k: to_numpy_tree(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_numpy_tree(v) for v in obj)
    if isinstance(obj, paddle.Tensor):
        return obj.numpy()
    return obj


def numpy_dtype_of(tensor: Any) -> Any:
    """numpy dtype of a paddle tensor without copying it (None when numpy has no such type)."""
    name = str(tensor.dtype).replace('paddle.', '').replace('VarType.', '').lower()
    name = {'fp32': 'float32', 'fp16': 'float16', 'fp64': 'float64'}.get(name, name)
    try:
        return np.dtype(name)
    except TypeError:
        return None


def set_tensor(tensor: Any, value: np.ndarray) -> None:
    """`tensor.set_value(value)` after casting to the tensor's dtype when they differ."""
    want = numpy_dtype_of(tensor)
    if want is not None and value.dtype != want:
        value = value.astype(want)
    tensor.set_value(value)


def _internal_to_structured(model: paddle.nn.Layer) -> Dict[str, str]:
    return {t.name: n for n, t in model.state_dict().items()}


def _split_key(key: str, names: Mapping[str, str]) -> Tuple[str, str]:
    """('structured name', suffix) for an accumulator key, or ('', key) when no parameter fits."""
    i = len(key)
    while True:
        i = key.rfind('_', 0, i)
        if i <= 0:
            return '', key
        if key[:i] in names:
            return names[key[:i]], key[i:]


def optimizer_state_to_structured(opt_state: Mapping[str, Any], model: paddle.nn.Layer
                                  ) -> Tuple[Dict[str, Any], List[str]]:
    """Optimizer state with parameter-derived keys renamed to structured names."""
    names = _internal_to_structured(model)
    out: Dict[str, Any] = {}
    unmapped: List[str] = []
    for key, value in opt_state.items():
        if key == 'StructuredToParameterName@@':
            continue
        if key == 'master_weights' and isinstance(value, dict):
            out[key] = {names.get(k, k): to_numpy_tree(v) for k, v in value.items()}
            continue
        if isinstance(value, paddle.Tensor) or isinstance(value, np.ndarray):
            struct, suffix = _split_key(key, names)
            if struct:
                out[struct + SEP + suffix] = to_numpy_tree(value)
                continue
            unmapped.append(key)
        out[key] = to_numpy_tree(value)
    return out, unmapped


def optimizer_state_from_structured(state: Mapping[str, Any], model: paddle.nn.Layer
                                    ) -> Dict[str, Any]:
    """Inverse of `optimizer_state_to_structured` for the model as built now."""
    current = {n: t.name for n, t in model.state_dict().items()}
    out: Dict[str, Any] = {}
    for key, value in state.items():
        if key == 'master_weights' and isinstance(value, dict):
            out[key] = {current.get(k, k): v for k, v in value.items()}
            continue
        struct, sep, suffix = key.partition(SEP)
        if sep and struct in current:
            out[current[struct] + suffix] = value
        else:
            out[key] = value
    return out


def capture_rng() -> Dict[str, Any]:
    """Python, numpy and Paddle (current device, plus CUDA when built with it) RNG states."""
    state: Dict[str, Any] = {
        'python': random.getstate(),
        'numpy': np.random.get_state(),
        'paddle': [s.__getstate__() for s in paddle.get_rng_state()],
    }
    if paddle.is_compiled_with_cuda() and hasattr(paddle, 'get_cuda_rng_state'):
        state['paddle_cuda'] = [s.__getstate__() for s in paddle.get_cuda_rng_state()]
    return state


def _generator_states(raw: List[Any], template: List[Any]) -> List[Any]:
    cls = type(template[0])
    out = []
    for item in raw:
        g = cls.__new__(cls)
        g.__setstate__(tuple(item))
        out.append(g)
    return out


def restore_rng(state: Mapping[str, Any]) -> None:
    """Put back what `capture_rng` recorded (missing entries are left alone)."""
    if 'python' in state:
        py = state['python']
        random.setstate((py[0], tuple(py[1]), py[2]))
    if 'numpy' in state:
        np.random.set_state(tuple(state['numpy']))
    if state.get('paddle'):
        paddle.set_rng_state(_generator_states(state['paddle'], paddle.get_rng_state()))
    if state.get('paddle_cuda') and paddle.is_compiled_with_cuda():
        paddle.set_cuda_rng_state(_generator_states(state['paddle_cuda'],
                                                    paddle.get_cuda_rng_state()))
