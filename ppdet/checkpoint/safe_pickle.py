"""Load `.pdparams` / `.pdopt` files without letting the file run code.

A Paddle weights file is a pickle, and unpickling an arbitrary pickle can call any importable
function (`os.system`, `builtins.eval`, ...). What `paddle.save` actually writes for a state dict
is small and known (checked against paddle 2.6 and 3.3, numpy 1.x and 2.x):

- a dict (sometimes an `OrderedDict`) of name -> numpy array, pickled with protocol 2..4;
- arrays are rebuilt through `numpy.core.multiarray._reconstruct` (numpy 1.x) or
  `numpy._core.multiarray._reconstruct` (numpy 2.x), `numpy.ndarray` and `numpy.dtype`;
  protocol 2 encodes the raw bytes via `_codecs.encode(text, 'latin1')`;
- numpy scalars (`...multiarray.scalar`) may appear in optimizer / LR-scheduler state;
- bookkeeping keys `StructuredToParameterName@@` and, for tensors above 1 GiB saved with
  protocol 2/3, `UnpackBigParamInfor@@` with the slices to re-join;
- tensors inside a nested structure are written as `tuple(((name, array),))`, and a
  `DenseTensor` as `eval('data', {'data': x})`;
  we accept exactly that expression and nothing else, without calling `eval`.

Everything else is refused with a `WeightsError` *before* it is called, so no side effect of a
malicious file can happen.
"""
from __future__ import annotations

import collections
import io
import os
import pickle
from typing import Any, Callable, Dict, Tuple

import numpy as np

from ppdet.core.errors import WeightsError

__all__ = ['safe_load', 'safe_loads', 'PADDLE_BOOKKEEPING_KEYS']

PADDLE_BOOKKEEPING_KEYS = ('StructuredToParameterName@@', 'UnpackBigParamInfor@@')
_BIG_PARAM_KEY = 'UnpackBigParamInfor@@'


def _latin1_encode(text: str, encoding: str = 'utf-8', errors: str = 'strict') -> bytes:
    """Stand-in for `_codecs.encode` that only does what protocol-2 numpy pickles need."""
    if encoding.lower().replace('-', '') not in ('latin1', 'iso88591'):
        raise pickle.UnpicklingError(f'_codecs.encode with encoding {encoding!r} is not allowed')
    if not isinstance(text, str):
        raise pickle.UnpicklingError('_codecs.encode of a non-string is not allowed')
    return text.encode('latin1', errors)


def _paddle_data_eval(expr: str, scope: Any = None, *_: Any) -> Any:
    """Stand-in for the `eval('data', {'data': array})` Paddle writes for a DenseTensor."""
    if expr != 'data' or not isinstance(scope, dict) or 'data' not in scope:
        raise pickle.UnpicklingError('builtins.eval is not allowed in a weights file')
    value = scope['data']
    if not isinstance(value, np.ndarray):
        raise pickle.UnpicklingError('builtins.eval allowed only to return array data')
    return value


def _numpy_core() -> Any:
    """numpy's core package: `numpy._core` on numpy 2.x, `numpy.core` on 1.x."""
    import importlib
    try:
        return importlib.import_module('numpy._core.multiarray'), \
            importlib.import_module('numpy._core.numeric')
    except ImportError:
        return importlib.import_module('numpy.core.multiarray'), \
            importlib.import_module('numpy.core.numeric')


def _allowed_globals() -> Dict[Tuple[str, str], Callable[..., Any]]:
    """The complete list of callables a weights pickle may name, built per call (no state)."""
    multiarray, numeric = _numpy_core()
    allowed: Dict[Tuple[str, str], Callable[..., Any]] = {
        ('numpy', 'ndarray'): np.ndarray,
        ('numpy', 'dtype'): np.dtype,
        ('collections', 'OrderedDict'): collections.OrderedDict,
        ('_codecs', 'encode'): _latin1_encode,
        ('codecs', 'encode'): _latin1_encode,
        ('builtins', 'tuple'): tuple,  # Paddle's reducer for tensors in nested structures
        ('builtins', 'eval'): _paddle_data_eval,
        ('__builtin__', 'eval'): _paddle_data_eval,
    }
    # Files name the module of the numpy that wrote them, not of the one reading them.
    for pkg in ('numpy.core', 'numpy._core'):
        allowed[(pkg + '.multiarray', '_reconstruct')] = multiarray._reconstruct
        allowed[(pkg + '.multiarray', 'scalar')] = multiarray.scalar
        if hasattr(numeric, '_frombuffer'):
            allowed[(pkg + '.numeric', '_frombuffer')] = numeric._frombuffer
    return allowed


class _RestrictedUnpickler(pickle.Unpickler):
    """C-accelerated unpickler whose `find_class` admits only the allow-list above."""

    def __init__(self, file: Any, allowed: Dict[Tuple[str, str], Callable[..., Any]]):
        super().__init__(file, encoding='latin1')
        self._allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        fn = self._allowed.get((module, name))
        if fn is None:
            raise pickle.UnpicklingError(f'refused global {module}.{name}')
        return fn

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError('persistent ids are not allowed')


def _check_values(obj: Any, where: str) -> None:
    """Object arrays could carry anything; a weights file never needs them."""
    if isinstance(obj, np.ndarray):
        if obj.dtype.hasobject:
            raise WeightsError(f'{where}: array of Python objects is not allowed in weights')
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _check_values(v, where)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _check_values(v, where)


def _join_big_params(obj: Dict[str, Any]) -> Dict[str, Any]:
    """Re-join tensors Paddle split into 1 GiB slices when saving with protocol 2/3."""
    info = obj.pop(_BIG_PARAM_KEY, None)
    if not info:
        return obj
    for key, spec in info.items():
        parts = [obj.pop(p) for p in spec['slices']]
        obj[key] = np.concatenate(parts).reshape(spec['OriginShape'])
    return obj


def safe_loads(data: bytes, where: str = '<bytes>') -> Any:
    """Unpickle `data` with the restricted unpickler; see `safe_load`."""
    return _load_stream(io.BytesIO(data), where)


def _load_stream(stream: Any, where: str) -> Any:
    try:
        obj = _RestrictedUnpickler(stream, _allowed_globals()).load()
    except pickle.UnpicklingError as e:
        msg = str(e)
        if msg.startswith('refused') or 'not allowed' in msg:
            raise WeightsError(
                f'{where}: refused to load: the file asks to run {msg.replace("refused ", "")}, '
                'which a weights file never needs. It may be malicious; do not load it with '
                'paddle.load either. Re-export the weights from a trusted source.') from None
        raise WeightsError(f'{where}: truncated or corrupt weights file ({msg}); '
                           'delete it and download/save it again.') from None
    except (EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError,
            MemoryError, OverflowError) as e:
        raise WeightsError(f'{where}: truncated or corrupt weights file '
                           f'({type(e).__name__}: {e}); delete it and download/save it '
                           'again.') from None
    _check_values(obj, where)
    if isinstance(obj, collections.OrderedDict):
        obj = dict(obj)
    if isinstance(obj, dict):
        obj = _join_big_params(obj)
    return obj


def safe_load(path: str) -> Any:
    """Load a Paddle weights/optimizer pickle safely; return the dict of numpy arrays.

    Paddle's bookkeeping key `StructuredToParameterName@@` is kept for optimizer files
    (it maps names) and big-parameter slices are joined. Raises `WeightsError` for files that
    would run code, truncated or corrupt files, and files that do not exist.
    """
    if not os.path.isfile(path):
        raise WeightsError(f'{path}: weights file not found')
    with open(path, 'rb') as f:
        head = f.read(2)
        if len(head) < 2 or head[0] != 0x80:
            raise WeightsError(f'{path}: not a Paddle weights file (no pickle header); '
                               'expected a .pdparams/.pdopt written by paddle.save')
        f.seek(0)
        return _load_stream(f, path)
