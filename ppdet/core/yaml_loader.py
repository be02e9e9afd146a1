"""A safe YAML 1.2 reader for configs that remembers where every value came from.

PyYAML's unsafe loader runs code (`!!python/object/apply`); its safe loader follows YAML 1.1
(`yes` is a bool, `1e-3` a string). We only *compose* the node graph and build plain values
ourselves: standard scalars, mappings and sequences, and `!ClassName` tags of registered
classes, which become `{name: ClassName, ...}` so that both spellings of a component are one
value. Anything else is refused with the file and line. Nothing is ever executed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, Tuple

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from ppdet.core.errors import ConfigError

__all__ = ['Source', 'parse_yaml', 'Path']

Path = Tuple[Any, ...]

_STD = 'tag:yaml.org,2002:'
_MAX_NODES = 1_000_000


@dataclass(frozen=True)
class Source:
    """Where a value came from: a file and line, or a command-line override item."""
    file: Optional[str] = None
    line: Optional[int] = None
    override: Optional[str] = None

    def describe(self) -> str:
        if self.override is not None:
            return f'-o {self.override}'
        if self.file is None:
            return '<default>'
        return f'{self.file}:{self.line}' if self.line else self.file


class _Resolver12(BaseResolver):
    """Implicit scalar types of the YAML 1.2 core schema."""


_Resolver12.add_implicit_resolver(
    _STD + 'bool', re.compile(r'^(?:true|True|TRUE|false|False|FALSE)$'), list('tTfF'))
_Resolver12.add_implicit_resolver(
    _STD + 'int', re.compile(r'^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$'),
    list('-+0123456789'))
_Resolver12.add_implicit_resolver(
    _STD + 'float',
    re.compile(r'^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?'
               r'|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$'),
    list('-+0123456789.'))
_Resolver12.add_implicit_resolver(
    _STD + 'null', re.compile(r'^(?:~|null|Null|NULL|)$'), ['~', 'n', 'N', ''])
_Resolver12.add_implicit_resolver(_STD + 'merge', re.compile(r'^<<$'), ['<'])


class _Composer(Reader, Scanner, Parser, Composer, _Resolver12):
    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver12.__init__(self)


def _scalar(node: ScalarNode, where: str) -> Any:
    tag, text = node.tag, node.value
    if tag == _STD + 'str':
        return text
    if tag == _STD + 'null':
        return None
    if tag == _STD + 'bool':
        return text.lower() == 'true'
    if tag == _STD + 'int':
        t = text.lower()
        if t.startswith(('0o', '+0o', '-0o')):
            return int(t.replace('0o', ''), 8)
        if t.startswith(('0x', '+0x', '-0x')):
            return int(t, 16)
        return int(text)
    if tag == _STD + 'float':
        t = text.lower()
        if t.endswith('.inf'):
            return float('-inf') if t.startswith('-') else float('inf')
        if t == '.nan':
            return float('nan')
        return float(text)
    raise ConfigError(f'{where}: unsupported scalar tag {tag!r}')


class _Builder:
    """Turns a composed node graph into plain values plus a path -> Source map."""

    def __init__(self, filename: str, is_tag_allowed: Callable[[str], bool]) -> None:
        self.filename = filename
        self.is_tag_allowed = is_tag_allowed
        self.sources: Dict[Path, Source] = {}
        self.count = 0

    def where(self, node: Node) -> str:
        return f'{self.filename}:{node.start_mark.line + 1}'

    def source(self, node: Node) -> Source:
        return Source(file=self.filename, line=node.start_mark.line + 1)

    def build(self, node: Node, path: Path) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise ConfigError(f'{self.filename}: more than {_MAX_NODES} values (alias bomb?)')
        self.sources[path] = self.source(node)
        tag = node.tag
        if tag.startswith('!') and not tag.startswith('!!'):
            return self.build_tagged(node, tag[1:], path)
        if tag.startswith(_STD) and tag[len(_STD):] not in (
                'str', 'int', 'float', 'bool', 'null', 'map', 'seq', 'merge'):
            raise ConfigError(
                f'{self.where(node)}: the YAML tag !!{tag[len(_STD):]} is not allowed in a '
                f'config: configs may only use plain values and !ClassName tags of registered '
                f'classes (loading a config never runs code)')
        if not tag.startswith(_STD):
            raise ConfigError(f'{self.where(node)}: unknown YAML tag {tag!r}')
        if isinstance(node, ScalarNode):
            return _scalar(node, self.where(node))
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        return self.build_mapping(node, path)

    def build_tagged(self, node: Node, name: str, path: Path) -> Dict[str, Any]:
        if not self.is_tag_allowed(name):
            raise ConfigError(
                f'{self.where(node)}: unknown tag !{name}: it is not a registered class'
                + _suggest(name))
        if isinstance(node, ScalarNode):
            if node.value.strip():
                raise ConfigError(f'{self.where(node)}: tag !{name} must be followed by a '
                                  f'mapping of its arguments, not {node.value!r}')
            return {'name': name}
        if isinstance(node, SequenceNode):
            raise ConfigError(f'{self.where(node)}: tag !{name} must be followed by a mapping')
        value = self.build_mapping(node, path)
        if 'name' in value and value['name'] != name:
            raise ConfigError(f'{self.where(node)}: tag !{name} conflicts with name: '
                              f'{value["name"]}')
        out = {'name': name}
        out.update((k, v) for k, v in value.items() if k != 'name')
        self.sources[path + ('name',)] = self.source(node)
        return out

    def build_mapping(self, node: MappingNode, path: Path) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        lines: Dict[str, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _STD + 'merge':
                merged = self.build(value_node, path)
                for m in merged if isinstance(merged, list) else [merged]:
                    if not isinstance(m, dict):
                        raise ConfigError(f'{self.where(key_node)}: << needs a mapping')
                    for k, v in m.items():
                        out.setdefault(k, v)
                continue
            if not isinstance(key_node, ScalarNode):
                raise ConfigError(f'{self.where(key_node)}: mapping keys must be plain scalars')
            key = _scalar(key_node, self.where(key_node)) if key_node.tag.startswith(_STD) \
                else key_node.value
            if not isinstance(key, (str, int, float, bool)) or isinstance(key, bool):
                key = str(key_node.value)
            key = str(key) if not isinstance(key, str) else key
            if key in lines:
                raise ConfigError(f'{self.where(key_node)}: duplicate key {key!r} (first at '
                                  f'line {lines[key]}); a second value would silently win')
            lines[key] = key_node.start_mark.line + 1
            out[key] = self.build(value_node, path + (key,))
            self.sources[path + (key,)] = self.source(key_node)
        return out


def _suggest(name: str) -> str:
    from ppdet.core.errors import did_you_mean
    from ppdet.core.registry import registered_names
    return did_you_mean(name, registered_names())


def parse_yaml(text: str, filename: str,
               is_tag_allowed: Callable[[str], bool]) -> Tuple[Any, Dict[Path, Source]]:
    """Parse one YAML document into plain values and the source of every value."""
    try:
        loader = _Composer(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        line = f':{mark.line + 1}' if mark is not None else ''
        raise ConfigError(f'{filename}{line}: invalid YAML: {e.problem}') from None
    except yaml.YAMLError as e:
        raise ConfigError(f'{filename}: invalid YAML: {e}') from None
    if node is None:
        return {}, {}
    builder = _Builder(filename, is_tag_allowed)
    value = builder.build(node, ())
    return value, builder.sources


def parse_scalar_text(text: str, what: str, is_tag_allowed: Callable[[str], bool]) -> Any:
    """Parse an override value (`-o key=value`) with the same YAML 1.2 rules."""
    if not text.strip():
        return None
    value, _ = parse_yaml(text, what, is_tag_allowed)
    return value

