"""One reading of the component syntax, shared by the validator and the builder.

A value that configures a class can be written in several ways: a section `ClassName: {...}`,
a class name (`loss: YOLOv3Loss`), a mapping with `name:` or a `!Tag` (the YAML reader turns
tags into `name:` mappings), a nameless mapping for an `__inject__` argument with a default
class, a list of those, a dataset slot, or an op list (`- Resize: {target_size: [608, 608]}`).
`resolve_section`, `resolve_component` and `resolve_argument` read such a value against the
schemas of the registered classes into a small tree of typed nodes, each with its path in the
config (which `Config.where` turns into file:line). The validator reports the tree's
`problems()`; the builder instantiates the tree. A change to the dialect is made here, once.

Nothing is built and nothing is copied here: nodes hold the config's own values.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from ppdet.core.errors import did_you_mean
from ppdet.core.registry import ClassSchema, Param, get_schema, registered_names
from ppdet.core.typecheck import describe_type, type_problem
from ppdet.core.yaml_loader import Path

__all__ = ['Problem', 'Node', 'Value', 'ClassRef', 'InlineComponent', 'ComponentList', 'OpList',
           'Invalid', 'Foreign', 'resolve_section', 'resolve_component', 'resolve_argument',
           'resolve_op_list', 'check_type', 'dotted']


def dotted(path: Path) -> str:
    return '.'.join(str(p) for p in path)


@dataclass(frozen=True)
class Problem:
    """What is wrong at `path`; the reader of the tree adds the location (file:line or key)."""
    path: Path
    message: str


@dataclass(frozen=True)
class Node:
    path: Path

    def problems(self) -> Iterator[Problem]:
        return iter(())

    def reference(self) -> Any:
        """The value as a `from_config` receives it (a reference, not a built object)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Value(Node):
    """A plain argument value; `problem` when it does not fit the argument's type hint."""
    value: Any
    problem: Optional[Problem] = None

    def problems(self) -> Iterator[Problem]:
        if self.problem is not None:
            yield self.problem

    def reference(self) -> Any:
        return self.value


@dataclass(frozen=True)
class ClassRef(Node):
    """A class name (`loss: YOLOv3Loss`): built from that class's own top-level section."""
    schema: ClassSchema
    text: str

    def reference(self) -> Any:
        return self.text


@dataclass(frozen=True)
class InlineComponent(Node):
    """A class with its arguments in place: a top-level section, a dataset slot, a `name:`
    mapping or tag, a nameless mapping built as an `__inject__` default, or one op of a list.

    `args` are the arguments the mapping gives (var-keyword extras included), resolved;
    `key_problems` the keys that are not arguments. `problems()` lists them in the mapping's
    order, then what the class's own `config_problems(section)` hook finds (run only then:
    building does not need it).
    """
    schema: ClassSchema
    section: Mapping[str, Any]
    args: Mapping[str, Node] = field(default_factory=dict)
    key_problems: Mapping[str, Problem] = field(default_factory=dict)
    named: bool = True  # False: the mapping has no name: and the inject default was used
    checked: bool = True  # False for an absent (null) section: nothing to check

    def problems(self) -> Iterator[Problem]:
        for key in self.section:
            if key in self.key_problems:
                yield self.key_problems[key]
            elif key in self.args:
                yield from self.args[key].problems()
        hook = getattr(self.schema.cls, 'config_problems', None)
        if self.checked and callable(hook):
            for key, message in hook(self.section):
                yield Problem(self.path + (key,), message)

    def reference(self) -> Any:
        if self.named:
            return self.section
        return {'name': self.schema.name, **self.section}


@dataclass(frozen=True)
class ComponentList(Node):
    """A list of components (an `__inject__` argument may hold one)."""
    items: Tuple[Node, ...]

    def problems(self) -> Iterator[Problem]:
        for item in self.items:
            yield from item.problems()

    def reference(self) -> Any:
        return [item.reference() for item in self.items]


@dataclass(frozen=True)
class OpList(Node):
    """An `__op_lists__` argument: one-key mappings `- OpName: {args}`, in order."""
    ops: Tuple[Node, ...]
    value: Any

    def problems(self) -> Iterator[Problem]:
        for op in self.ops:
            yield from op.problems()

    def reference(self) -> Any:
        return self.value


@dataclass(frozen=True)
class Invalid(Node):
    """A value that does not say what to build (an unknown class, a mapping without a name, a
    malformed op): the validator reports it, the builder refuses it."""
    problem: Problem
    value: Any = None

    def problems(self) -> Iterator[Problem]:
        yield self.problem

    def reference(self) -> Any:
        return self.value


@dataclass(frozen=True)
class Foreign(Invalid):
    """A value where a component belongs that is no config syntax at all (a number): wrong in
    a config file, but how code hands in an object it built itself, so the builder passes it
    on unchanged."""


def check_type(value: Any, annotation: Any, path: Path) -> Optional[Problem]:
    if type_problem(value, annotation):
        return Problem(path, f'{dotted(path)} must be {describe_type(annotation)}, '
                             f'got {value!r}')
    return None


def _not_registered(name: Any, path: Path) -> Problem:
    return Problem(path, f'{name!r} is not a registered class'
                         + did_you_mean(str(name), registered_names()))


def resolve_section(schema: ClassSchema, section: Any, path: Path, inline: bool = False,
                    named: bool = True) -> Node:
    """The arguments of class `schema` given by `section` (a top-level section, or with
    `inline` a mapping naming the class in place, whose `name:` key is the class)."""
    if section is None:
        return InlineComponent(path, schema, {}, named=named, checked=False)
    if not isinstance(section, Mapping):
        return Invalid(path, Problem(path, f'{dotted(path)} configures class {schema.name} and '
                                           f'must be a mapping of its arguments, got '
                                           f'{section!r}'), section)
    args: Dict[str, Node] = {}
    key_problems: Dict[str, Problem] = {}
    for key, value in section.items():
        kpath = path + (key,)
        if key == 'name':
            if not inline and value != schema.name:
                key_problems[key] = Problem(kpath, f'section {schema.name} names another '
                                                   f'class {value!r}')
            continue
        param = schema.param(key)
        if param is not None:
            args[key] = resolve_argument(param, value, kpath)
        elif schema.accepts_var_kwargs:
            args[key] = Value(kpath, value)
        else:
            key_problems[key] = Problem(kpath, f'unknown key {key!r} for {schema.name}' + (
                did_you_mean(key, schema.params) or f' (it accepts: {", ".join(schema.params)})'))
    return InlineComponent(path, schema, section, args, key_problems, named)


def resolve_argument(param: Param, value: Any, path: Path) -> Node:
    """One constructor argument: a component, an op list or a plain value, as `param` says."""
    if param.inject:
        return resolve_component(value, path, param.inject_default)
    if param.op_list:
        return resolve_op_list(value, path)
    return Value(path, value, check_type(value, param.annotation, path))


def resolve_component(value: Any, path: Path, default: Optional[str] = None,
                      slot: bool = False) -> Node:
    """What `value` asks to build where a component belongs. `default` is the class a nameless
    mapping builds (the `__inject__` default); a dataset `slot` takes only a mapping or tag."""
    if value is None:
        return Value(path, None)
    if isinstance(value, list) and not slot:
        return ComponentList(path, tuple(resolve_component(item, path + (i,), default)
                                         for i, item in enumerate(value)))
    if isinstance(value, str) and not slot:
        schema = get_schema(value)
        if schema is None:
            return Invalid(path, _not_registered(value, path), value)
        return ClassRef(path, schema, value)
    if isinstance(value, Mapping):
        name = value.get('name')
        named = name is not None
        if not named:
            if default is None:
                return Invalid(path, Problem(path, f'{dotted(path)} needs name: <class> (or a '
                                                   f'!Tag) to say what to build'), value)
            name = default
        schema = get_schema(name) if isinstance(name, str) else None
        if schema is None:
            return Invalid(path, _not_registered(name, path + ('name',)), value)
        return resolve_section(schema, value, path, inline=True, named=named)
    problem = Problem(path, f'{dotted(path)} must name a class (a string, a mapping with '
                            f'name:, or a !Tag), got {value!r}')
    return Invalid(path, problem, value) if slot else Foreign(path, problem, value)


def resolve_op_list(value: Any, path: Path) -> Node:
    """A list of one-key mappings `- OpName: {args}` (a bare `- OpName` has no arguments)."""
    if value is None:
        return OpList(path, (), value)
    if not isinstance(value, list):
        return Invalid(path, Problem(path, f'{dotted(path)} must be a list of one-key mappings '
                                           f'such as "- Resize: {{target_size: [608, 608]}}"'),
                       value)
    ops: List[Node] = []
    for i, item in enumerate(value):
        ipath = path + (i,)
        if isinstance(item, str):
            item = {item: {}}
        if not isinstance(item, Mapping) or len(item) != 1:
            ops.append(Invalid(ipath, Problem(ipath, f'{dotted(ipath)} must be a one-key '
                                                     f'mapping "- OpName: {{args}}", got '
                                                     f'{item!r}'), item))
            continue
        (op_name, args), = item.items()
        schema = get_schema(op_name)
        if schema is None:
            ops.append(Invalid(ipath, Problem(ipath + (op_name,), f'unknown transform '
                                              f'{op_name!r}' + did_you_mean(op_name,
                                                                            registered_names())),
                               item))
            continue
        ops.append(resolve_section(schema, args or {}, ipath + (op_name,), inline=True))
    return OpList(path, tuple(ops), value)
