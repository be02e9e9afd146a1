"""Render a resolved config: plain YAML for run records, and YAML annotated with sources."""
from __future__ import annotations

from typing import Any, List

import yaml

from ppdet.core.config import Config
from ppdet.core.yaml_loader import Path

__all__ = ['resolved_yaml', 'annotated_yaml']


class _PlainDumper(yaml.SafeDumper):
    """Dumps our AttrDicts as plain mappings, keys in insertion order."""


def _represent_dict(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    return dumper.represent_mapping('tag:yaml.org,2002:map', data.items())


_PlainDumper.add_multi_representer(dict, _represent_dict)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _dump(value: Any) -> str:
    return yaml.dump(_plain(value), Dumper=_PlainDumper, sort_keys=False,
                     default_flow_style=None, width=100, allow_unicode=True)


def resolved_yaml(cfg: Config) -> str:
    """The merged config as plain YAML: loading it back gives the same values."""
    return _dump(dict(cfg))


def _flow(value: Any) -> str:
    text = yaml.dump(_plain(value), Dumper=_PlainDumper, default_flow_style=True,
                     width=1 << 30, allow_unicode=True).strip()
    return text[:-3].strip() if text.endswith('...') else text


def _is_leafish(value: Any) -> bool:
    if isinstance(value, dict):
        return not value
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) or not v for v in value)
    return True


def annotated_yaml(cfg: Config) -> str:
    """YAML where every value carries `# <file>:<line>` or `# -o <item>`."""
    lines: List[str] = []

    def walk(value: Any, path: Path, indent: int, key_prefix: str) -> None:
        pad = ' ' * indent
        if _is_leafish(value):
            lines.append(f'{pad}{key_prefix}{_flow(value)}'.rstrip() +
                         f'  # {cfg.where(path)}')
            return
        lines.append(f'{pad}{key_prefix}'.rstrip() + f'  # {cfg.where(path)}'
                     if key_prefix else None)
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + (k,), indent + (2 if key_prefix else 0), f'{k}: ')
        else:
            for i, v in enumerate(value):
                walk(v, path + (i,), indent + 2, '- ')

    for key, value in cfg.items():
        walk(value, (key,), 0, f'{key}: ')
    return '\n'.join(line for line in lines if line is not None) + '\n'
