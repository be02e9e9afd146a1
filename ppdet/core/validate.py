"""Check a merged config against the schemas of what it configures, before anything is built.

Every key is looked up: top-level keys against the engine's table, `__shared__` names and
registered sections; section keys against constructor signatures; values against type hints.
Problems are collected and raised together, each with its file:line or `-o` item.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ppdet.core.config import Config
from ppdet.core.errors import ConfigError, did_you_mean
from ppdet.core.registry import ClassSchema, Param, get_schema, registered_names
from ppdet.core import toplevel
from ppdet.core.yaml_loader import Path

__all__ = ['validate_config', 'ValidationResult', 'type_problem', 'describe_type']


@dataclass
class ValidationResult:
    unused: List[Tuple[str, str, str]] = field(default_factory=list)  # key, why, where


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


class _Validator:
    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self.errors: List[str] = []
        self.result = ValidationResult()
        self.shared = self._shared_params()

    def _shared_params(self) -> Dict[str, Param]:
        out: Dict[str, Param] = {}
        for name in registered_names():
            schema = get_schema(name)
            for p in schema.params.values():
                if p.shared:
                    out.setdefault(p.name, p)
        return out

    def error(self, path: Path, message: str) -> None:
        self.errors.append(f'{self.cfg.where(path)}: {message}')

    def dotted(self, path: Path) -> str:
        return '.'.join(str(p) for p in path)

    def run(self) -> None:
        known = set(toplevel.ACTED_ON) | set(toplevel.ACCEPTED_UNUSED) | set(self.shared) \
            | set(toplevel.DATASET_SLOTS) | set(registered_names())
        for key, value in self.cfg.items():
            path = (key,)
            if key in toplevel.DATASET_SLOTS:
                self.check_component(value, path, None, slot=True)
            elif get_schema(key) is not None:
                self.check_section(get_schema(key), value, path)
            elif key in toplevel.ACTED_ON:
                self.check_value(value, toplevel.ACTED_ON[key], path)
                self.check_enum(key, value, path)
            elif key in self.shared:
                self.check_value(value, self.shared[key].annotation, path)
                self.check_enum(key, value, path)
            elif key in toplevel.ACCEPTED_UNUSED:
                self.result.unused.append((key, toplevel.ACCEPTED_UNUSED[key],
                                           self.cfg.where(path)))
            else:
                self.error(path, f'unknown top-level key {key!r}' + did_you_mean(key, known))
        arch = self.cfg.get('architecture')
        if isinstance(arch, str) and get_schema(arch) is None:
            self.error(('architecture',), f'architecture {arch!r} is not a registered class'
                       + did_you_mean(arch, registered_names()))

    def check_enum(self, key: str, value: Any, path: Path) -> None:
        allowed = toplevel.ENUMS.get(key)
        if allowed is not None and value not in allowed:
            self.error(path, f'{key} must be one of {", ".join(str(a) for a in allowed)}, '
                       f'not {value!r}' + did_you_mean(str(value), [str(a) for a in allowed]))

    def check_value(self, value: Any, tp: Any, path: Path) -> None:
        if type_problem(value, tp):
            self.error(path, f'{self.dotted(path)} must be {describe_type(tp)}, got {value!r}')

    def check_section(self, schema: ClassSchema, section: Any, path: Path,
                      inline: bool = False) -> None:
        if section is None:
            return
        if not isinstance(section, dict):
            self.error(path, f'{self.dotted(path)} configures class {schema.name} and must be '
                       f'a mapping of its arguments, got {section!r}')
            return
        for key, value in section.items():
            kpath = path + (key,)
            if key == 'name':
                if not inline and value != schema.name:
                    self.error(kpath, f'section {schema.name} names another class {value!r}')
                continue
            param = schema.param(key)
            if param is None:
                if schema.accepts_var_kwargs:
                    continue
                self.error(kpath, f'unknown key {key!r} for {schema.name}'
                           + (did_you_mean(key, schema.params) or
                              f' (it accepts: {", ".join(schema.params)})'))
                continue
            if param.inject:
                self.check_component(value, kpath, param)
            elif param.op_list:
                self.check_op_list(value, kpath)
            else:
                self.check_value(value, param.annotation, kpath)
        hook = getattr(schema.cls, 'config_problems', None)
        if callable(hook):
            for key, message in hook(section):
                self.error(path + (key,), message)

    def check_component(self, value: Any, path: Path, param: Optional[Param],
                        slot: bool = False) -> None:
        if value is None:
            return
        if isinstance(value, list) and not slot:
            for i, item in enumerate(value):
                self.check_component(item, path + (i,), param)
            return
        if isinstance(value, str) and not slot:
            if get_schema(value) is None:
                self.error(path, f'{value!r} is not a registered class'
                           + did_you_mean(value, registered_names()))
            return
        if isinstance(value, dict):
            name = value.get('name')
            if name is None:
                default = param.inject_default if param is not None else None
                if default is None:
                    self.error(path, f'{self.dotted(path)} needs name: <class> (or a !Tag) to '
                               f'say what to build')
                    return
                name = default
            schema = get_schema(name) if isinstance(name, str) else None
            if schema is None:
                self.error(path + ('name',), f'{name!r} is not a registered class'
                           + did_you_mean(str(name), registered_names()))
                return
            self.check_section(schema, value, path, inline=True)
            return
        self.error(path, f'{self.dotted(path)} must name a class (a string, a mapping with '
                   f'name:, or a !Tag), got {value!r}')

    def check_op_list(self, value: Any, path: Path) -> None:
        if value is None:
            return
        if not isinstance(value, list):
            self.error(path, f'{self.dotted(path)} must be a list of one-key mappings such as '
                       f'"- Resize: {{target_size: [608, 608]}}"')
            return
        for i, item in enumerate(value):
            ipath = path + (i,)
            if isinstance(item, str):
                item = {item: {}}
            if not isinstance(item, dict) or len(item) != 1:
                self.error(ipath, f'{self.dotted(ipath)} must be a one-key mapping '
                           f'"- OpName: {{args}}", got {item!r}')
                continue
            (op_name, args), = item.items()
            schema = get_schema(op_name)
            if schema is None:
                self.error(ipath + (op_name,), f'unknown transform {op_name!r}'
                           + did_you_mean(op_name, registered_names()))
                continue
            self.check_section(schema, args or {}, ipath + (op_name,), inline=True)


def validate_config(cfg: Config) -> ValidationResult:
    """Raise ConfigError listing every problem in `cfg`; return the accepted-but-unused keys."""
    v = _Validator(cfg)
    v.run()
    if v.errors:
        head = f'{len(v.errors)} problem(s) in the config:' if len(v.errors) > 1 else ''
        raise ConfigError('\n'.join(([head] if head else []) + v.errors))
    return v.result
