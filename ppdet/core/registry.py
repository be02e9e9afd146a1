"""The table of classes a config may name.

Registration happens once, at import time, and records only *schemas* (what a class accepts),
never config values: values live in the config object, so two configs loaded in one process
cannot leak into each other (PaddleDetection stores loaded values in its registry).
"""
from __future__ import annotations

import functools
import importlib
import inspect
import os
import typing
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Dict, Mapping, Optional, Tuple

__all__ = ['register', 'serializable', 'get_schema', 'registered_names', 'ClassSchema', 'Param',
           'REQUIRED', 'ensure_components_loaded', 'registration_modules']


class _Required:
    """Marker for a constructor parameter without a default."""

    def __repr__(self) -> str:
        return '<required>'


REQUIRED = _Required()


@dataclass(frozen=True)
class Param:
    """One constructor argument as the config layer sees it."""
    name: str
    default: Any
    annotation: Any  # a typing object, or Any when the constructor has no hint
    shared: bool = False
    inject: bool = False
    inject_default: Optional[str] = None  # class built for a nameless inline mapping
    op_list: bool = False


@dataclass(frozen=True)
class ClassSchema:
    """Immutable description of a registered class, derived from its constructor."""
    name: str
    cls: type
    params: Mapping[str, Param]
    accepts_var_kwargs: bool
    taggable: bool
    has_from_config: bool
    module: str = ''

    def param(self, key: str) -> Optional[Param]:
        return self.params.get(key)


_CLASSES: Dict[str, ClassSchema] = {}


def _resolve_hints(cls: type) -> Dict[str, Any]:
    """Type hints of the constructor; a hint that cannot be resolved counts as Any."""
    init = cls.__init__
    try:
        return typing.get_type_hints(init)
    except Exception:
        pass
    import sys
    namespace = dict(vars(sys.modules.get(init.__module__, object())))
    hints: Dict[str, Any] = {}
    for name, ann in getattr(init, '__annotations__', {}).items():
        try:
            hints[name] = typing.get_type_hints(
                type('_H', (), {'__annotations__': {name: ann}}), namespace)[name]
        except Exception:
            hints[name] = Any
    return hints


def _inject_defaults(cls: type) -> Dict[str, Optional[str]]:
    raw = getattr(cls, '__inject__', None) or []
    if isinstance(raw, Mapping):
        return dict(raw)
    return {name: None for name in raw}


def _build_schema(cls: type, taggable: bool) -> ClassSchema:
    sig = inspect.signature(cls.__init__)
    hints = _resolve_hints(cls)
    shared = set(getattr(cls, '__shared__', []) or [])
    injects = _inject_defaults(cls)
    op_lists = set(getattr(cls, '__op_lists__', []) or [])
    params: Dict[str, Param] = {}
    var_kwargs = False
    for i, (name, p) in enumerate(sig.parameters.items()):
        if i == 0:  # self
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            var_kwargs = True
            continue
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        default = REQUIRED if p.default is inspect.Parameter.empty else p.default
        params[name] = Param(name=name, default=default, annotation=hints.get(name, Any),
                             shared=name in shared, inject=name in injects,
                             inject_default=injects.get(name), op_list=name in op_lists)
    for name in shared | set(injects) | op_lists:
        if name not in params:
            raise TypeError(f'{cls.__name__} declares {name!r} in __shared__/__inject__/'
                            f'__op_lists__ but its constructor has no such argument')
    return ClassSchema(name=cls.__name__, cls=cls, params=MappingProxyType(params),
                       accepts_var_kwargs=var_kwargs, taggable=taggable,
                       has_from_config=callable(getattr(cls, 'from_config', None)),
                       module=cls.__module__)


def _add(cls: type, taggable: bool) -> type:
    name = cls.__name__
    old = _CLASSES.get(name)
    if old is not None and old.cls is not cls:
        if old.cls.__module__ != cls.__module__ or old.cls.__qualname__ != cls.__qualname__:
            raise TypeError(f'two classes registered as {name!r}: {old.module} and '
                            f'{cls.__module__}; rename one')
    taggable = taggable or (old.taggable if old is not None else False)
    _CLASSES[name] = _build_schema(cls, taggable)
    return cls


def register(cls: type) -> type:
    """Make `cls` nameable from a config: as a section, a reference string or `{name: X}`."""
    return _add(cls, taggable=True)


def serializable(cls: type) -> type:
    """Make `cls` usable as a YAML tag (`!COCODataSet {...}`); kept for dialect compatibility.

    Every registered class may be written as a tag; this decorator registers as well.
    """
    return _add(cls, taggable=True)


def get_schema(name: str) -> Optional[ClassSchema]:
    return _CLASSES.get(name)


def registered_names() -> Tuple[str, ...]:
    return tuple(sorted(_CLASSES))


REGISTRATION_MODULE = 'registration'


@functools.lru_cache(maxsize=1)
def registration_modules() -> Tuple[str, ...]:
    """`ppdet.<package>.registration` for every package beside `ppdet.core` that has one.

    A package that contributes to the config (classes a config can name, top-level keys it
    acts on) says so by holding a `registration.py` whose import registers them; the core
    finds these by looking, so it names none of them.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    top = __name__.split('.')[0]
    return tuple(f'{top}.{entry}.{REGISTRATION_MODULE}' for entry in sorted(os.listdir(root))
                 if os.path.isfile(os.path.join(root, entry, REGISTRATION_MODULE + '.py')))


def ensure_components_loaded() -> None:
    """Import every package's registration module (lazily, so `ppdet.core` stays light)."""
    for module in registration_modules():
        importlib.import_module(module)
