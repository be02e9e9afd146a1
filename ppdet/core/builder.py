"""Build registered classes from a config without changing the config.

What a value asks to build is read by `ppdet.core.resolve`, the reading the validator checks;
here it is instantiated. Values are deep-copied on their way into constructors, so a model can
never write back into the config it came from (PaddleDetection's inline `{name: X}` mappings
wrote into X's global entry).
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Mapping, Optional, Sequence

from ppdet.core.errors import ConfigError, did_you_mean
from ppdet.core.registry import get_schema, registered_names
from ppdet.core.resolve import (ClassRef, ComponentList, Foreign, InlineComponent, Invalid, Node,
                                OpList, Value, dotted, resolve_argument, resolve_component,
                                resolve_section)
from ppdet.core.toplevel import DATASET_SLOTS

__all__ = ['Builder']


class Builder:
    """Creates components of one config; holds no state but the config it reads."""

    def __init__(self, cfg: Mapping[str, Any]) -> None:
        self.cfg = cfg

    # -- public -------------------------------------------------------------------------
    def create(self, ref: Any, input_shape: Optional[Sequence[Any]] = None,
               **overrides: Any) -> Any:
        """Build `ref`: a section/class name, a dataset slot, or an inline mapping.

        `input_shape` (a list of `ShapeSpec`) describes what the component is built on; it
        reaches the class's `from_config`, which derives its input channels and strides from
        it, so the caller need not know the component's argument names. A class without
        `from_config` ignores it."""
        if isinstance(ref, str):
            return self._instantiate(self._named(ref), overrides, input_shape)
        if isinstance(ref, Mapping):
            return self._instantiate(resolve_component(ref, ('<inline>',)), overrides,
                                     input_shape)
        if ref is not None and not isinstance(ref, (list, tuple, int, float, bool)):
            return ref  # an already-built component handed in by code
        raise ConfigError(f'cannot build {ref!r}: give a class name or a mapping with name:')

    # -- internals ----------------------------------------------------------------------
    def _named(self, ref: str) -> Node:
        """The component a name stands for: a dataset slot, or a class and its section."""
        if ref in DATASET_SLOTS:
            if ref not in self.cfg or self.cfg[ref] is None:
                raise ConfigError(f'the config has no {ref}')
            return resolve_component(self.cfg[ref], (ref,), slot=True)
        schema = get_schema(ref)
        if schema is None:
            raise ConfigError(f'{ref}: {ref!r} is not a registered class'
                              + did_you_mean(ref, registered_names()))
        return resolve_section(schema, self.cfg.get(ref) or {}, (ref,))

    def _arguments(self, component: InlineComponent,
                   overrides: Mapping[str, Any]) -> Dict[str, Any]:
        """Each argument's source: override > own section > top-level shared key > the
        `__inject__` default class. Overrides are objects from code; the rest are nodes."""
        args: Dict[str, Any] = {}
        for name, param in component.schema.params.items():
            if name in overrides:
                args[name] = overrides[name]
            elif name in component.args:
                args[name] = component.args[name]
            elif param.shared and name in self.cfg:
                args[name] = resolve_argument(param, self.cfg[name], (name,))
            elif param.inject and param.inject_default is not None:
                args[name] = resolve_component(param.inject_default, component.path + (name,))
        for name, node in component.args.items():  # extras of a class taking **kwargs
            args.setdefault(name, node)
        return args

    def _instantiate(self, node: Node, overrides: Mapping[str, Any],
                     input_shape: Optional[Sequence[Any]] = None) -> Any:
        if isinstance(node, Invalid):
            raise ConfigError(f'{dotted(node.path)}: {node.problem.message}')
        assert isinstance(node, InlineComponent), node
        schema = node.schema
        args = self._arguments(node, overrides)
        kwargs: Dict[str, Any] = {}
        if schema.has_from_config:
            refs = {name: arg if name in overrides else copy.deepcopy(arg.reference())
                    for name, arg in args.items()}
            kwargs.update(schema.cls.from_config(refs, self.create, input_shape))
        for name, arg in args.items():
            if name not in kwargs:
                kwargs[name] = arg if name in overrides else self._build(arg)
        try:
            return schema.cls(**kwargs)
        except TypeError as e:
            if 'argument' in str(e):
                raise ConfigError(f'{dotted(node.path)}: cannot build {schema.name}: {e}') from e
            raise

    def _build(self, node: Node) -> Any:
        """The object a resolved argument stands for."""
        if isinstance(node, (Value, Foreign)):
            return copy.deepcopy(node.value)
        if isinstance(node, ClassRef):
            return self.create(node.text)
        if isinstance(node, ComponentList):
            return [self._build(item) for item in node.items]
        if isinstance(node, OpList):
            return [self._instantiate(op, {}) for op in node.ops]
        return self._instantiate(node, {})
