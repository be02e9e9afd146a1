"""Build registered classes from a config without changing the config.

Values are deep-copied on their way into constructors, so a model can never write back into
the config it came from (PaddleDetection's inline `{name: X}` mappings wrote into X's global
entry).
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Mapping, Optional, Sequence

from ppdet.core.errors import ConfigError, did_you_mean
from ppdet.core.registry import ClassSchema, Param, get_schema, registered_names
from ppdet.core import toplevel

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
            if ref in toplevel.DATASET_SLOTS:
                if ref not in self.cfg or self.cfg[ref] is None:
                    raise ConfigError(f'the config has no {ref}')
                return self._build_mapping(self.cfg[ref], None, ref, overrides, input_shape)
            schema = self._schema(ref, ref)
            section = self.cfg.get(ref) or {}
            if not isinstance(section, Mapping):
                raise ConfigError(f'{ref} must be a mapping of arguments')
            return self._instantiate(schema, section, ref, overrides, input_shape)
        if isinstance(ref, Mapping):
            return self._build_mapping(ref, None, '<inline>', overrides, input_shape)
        if ref is not None and not isinstance(ref, (list, tuple, int, float, bool)):
            return ref  # an already-built component handed in by code
        raise ConfigError(f'cannot build {ref!r}: give a class name or a mapping with name:')

    # -- internals ----------------------------------------------------------------------
    def _schema(self, name: str, where: str) -> ClassSchema:
        schema = get_schema(name)
        if schema is None:
            raise ConfigError(f'{where}: {name!r} is not a registered class'
                              + did_you_mean(name, registered_names()))
        return schema

    def _build_mapping(self, value: Mapping[str, Any], default_cls: Optional[str], where: str,
                       overrides: Mapping[str, Any],
                       input_shape: Optional[Sequence[Any]] = None) -> Any:
        name = value.get('name', default_cls)
        if name is None:
            raise ConfigError(f'{where}: needs name: <class> to say what to build')
        schema = self._schema(name, where)
        args = {k: v for k, v in value.items() if k != 'name'}
        return self._instantiate(schema, args, where, overrides, input_shape)

    def _build_ref(self, value: Any, param: Param, where: str) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [self._build_ref(v, param, f'{where}.{i}') for i, v in enumerate(value)]
        if isinstance(value, str):
            return self.create(value)
        if isinstance(value, Mapping):
            return self._build_mapping(value, param.inject_default, where, {})
        return value  # an already-built object handed in by code

    def _build_ops(self, value: Any, where: str) -> Any:
        if value is None:
            return []
        ops = []
        for i, item in enumerate(value):
            if isinstance(item, str):
                item = {item: {}}
            (op_name, args), = item.items()
            schema = self._schema(op_name, f'{where}.{i}')
            ops.append(self._instantiate(schema, args or {}, f'{where}.{i}.{op_name}', {}))
        return ops

    def _gather(self, schema: ClassSchema, section: Mapping[str, Any],
                overrides: Mapping[str, Any]) -> Dict[str, Any]:
        """Raw argument values: override > own section > top-level shared key > default."""
        raw: Dict[str, Any] = {}
        for name, param in schema.params.items():
            if name in overrides:
                raw[name] = overrides[name]
            elif name in section:
                raw[name] = copy.deepcopy(section[name])
            elif param.shared and name in self.cfg:
                raw[name] = copy.deepcopy(self.cfg[name])
            elif param.inject and param.inject_default is not None:
                raw[name] = param.inject_default
        if schema.accepts_var_kwargs:
            for k, v in section.items():
                if k not in schema.params and k != 'name':
                    raw[k] = copy.deepcopy(v)
        return raw

    def _instantiate(self, schema: ClassSchema, section: Mapping[str, Any], where: str,
                     overrides: Mapping[str, Any],
                     input_shape: Optional[Sequence[Any]] = None) -> Any:
        raw = self._gather(schema, section, overrides)
        kwargs: Dict[str, Any] = {}
        if schema.has_from_config:
            kwargs.update(schema.cls.from_config(dict(raw), self.create, input_shape))
        for name, value in raw.items():
            if name in kwargs:
                continue
            param = schema.params.get(name)
            if name in overrides or param is None:
                kwargs[name] = value
            elif param.inject:
                kwargs[name] = self._build_ref(value, param, f'{where}.{name}')
            elif param.op_list:
                kwargs[name] = self._build_ops(value, f'{where}.{name}')
            else:
                kwargs[name] = value
        try:
            return schema.cls(**kwargs)
        except TypeError as e:
            if 'argument' in str(e):
                raise ConfigError(f'{where}: cannot build {schema.name}: {e}') from e
            raise
