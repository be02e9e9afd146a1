"""Whether a plain YAML value can be passed where a constructor's type hint asks for a type,
and how to name that type in an error message."""
from __future__ import annotations

import typing
from typing import Any, Sequence

__all__ = ['type_problem', 'describe_type']


def describe_type(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return 'any value'
    if tp is type(None):
        return 'null'
    if origin is typing.Union:
        return ' or '.join(describe_type(a) for a in args)
    if origin in (list, tuple, typing.Sequence, Sequence) or tp in (list, tuple):
        inner = describe_type(args[0]) if args else 'values'
        return f'a list of {inner}'
    if origin is dict or tp is dict:
        return 'a mapping'
    if origin is typing.Literal:
        return 'one of ' + ', '.join(repr(a) for a in args)
    if isinstance(tp, type):
        return {'int': 'an integer', 'float': 'a number', 'bool': 'true or false',
                'str': 'a string'}.get(tp.__name__, tp.__name__)
    return str(tp)


def type_problem(value: Any, tp: Any) -> bool:
    """True when `value` (a plain YAML value) cannot be `tp`."""
    if tp is Any or tp is object or isinstance(tp, (str, typing.ForwardRef)):
        return False
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Union:
        return all(type_problem(value, a) for a in args)
    if tp is type(None) or tp is None:
        return value is not None
    if origin is typing.Literal:
        return value not in args
    if tp is bool:
        return not isinstance(value, bool)
    if tp is int:
        return isinstance(value, bool) or not isinstance(value, int)
    if tp is float:
        return isinstance(value, bool) or not isinstance(value, (int, float))
    if tp is str:
        return not isinstance(value, str)
    if origin in (list, tuple, typing.Sequence, Sequence) or tp in (list, tuple):
        if not isinstance(value, (list, tuple)):
            return True
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(args) != len(value) or any(type_problem(v, a)
                                                  for v, a in zip(value, args))
        inner = args[0] if args else Any
        return any(type_problem(v, inner) for v in value)
    if origin is dict or tp is dict:
        return not isinstance(value, dict)
    if isinstance(tp, type):
        if tp in (list, dict, tuple):
            return not isinstance(value, tp if tp is not tuple else (list, tuple))
        return False  # a class type for a non-injected argument: left to the constructor
    return False
