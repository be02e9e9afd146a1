"""Command-line overrides: `-o a.b.c=1 a.b.d=2 -o TrainReader.sample_transforms.1.RandomFlip.prob=0.2`.

Every item applies (PaddleDetection kept only the last `-o`, and `a.b.c=1 a.b.d=2` lost the
first); values are YAML 1.2 (`1e-3` is a float, `yes` a string); integer path segments index
lists; dataset fields are reached the same way whether the dataset was written as a tag or
with `name:`.
"""
from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Sequence, Tuple, Union

from ppdet.core.config import AttrDict, Config, _drop_sources, iter_paths, to_attrdict
from ppdet.core.errors import ConfigError
from ppdet.core.registry import get_schema
from ppdet.core.yaml_loader import Path, Source, parse_scalar_text

__all__ = ['parse_override', 'apply_overrides', 'flatten_override_args']


def parse_override(item: str) -> Tuple[List[Union[str, int]], Any]:
    """Split `key.path=value` into path segments and a YAML-parsed value."""
    if '=' not in item:
        raise ConfigError(f'-o {item}: an override must look like key=value '
                          f'(e.g. -o TrainReader.batch_size=8)')
    key, text = item.split('=', 1)
    key = key.strip()
    if not key or any(not part for part in key.split('.')):
        raise ConfigError(f'-o {item}: empty key segment in {key!r}')
    segments: List[Union[str, int]] = [int(p) if p.isdigit() else p for p in key.split('.')]
    value = parse_scalar_text(text, f'-o {item}', lambda n: get_schema(n) is not None)
    return segments, value


def _set_path(cfg: Config, segments: Sequence[Union[str, int]], value: Any, item: str) -> None:
    node: Any = cfg
    walked: List[Union[str, int]] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        where = '.'.join(str(s) for s in walked) or '<top level>'
        if isinstance(node, list):
            if not isinstance(seg, int):
                raise ConfigError(f'-o {item}: {where} is a list; use an index, e.g. '
                                  f'{where}.0')
            if not -len(node) <= seg < len(node):
                raise ConfigError(f'-o {item}: index {seg} is out of range: {where} has '
                                  f'{len(node)} items')
            if last:
                node[seg] = value
            else:
                node = node[seg]
        elif isinstance(node, dict):
            key = str(seg)
            if last:
                node[key] = value
            else:
                if key not in node or node[key] is None:
                    node[key] = AttrDict()
                node = node[key]
        else:
            raise ConfigError(f'-o {item}: {where} holds a value ({node!r}), not a mapping or '
                              f'list, so it has no field {seg!r}')
        walked.append(seg)


def apply_overrides(cfg: Config, items: Iterable[str]) -> Config:
    """Apply `key=value` items to `cfg` in order, recording `-o item` as their source."""
    for item in items:
        segments, value = parse_override(item)
        value = to_attrdict(value)
        _set_path(cfg, segments, value, item)
        path: Path = tuple(str(s) if not isinstance(s, int) else s for s in segments)
        _drop_sources(cfg.sources, path)
        src = Source(override=item)
        for i in range(1, len(path) + 1):
            cfg.sources.setdefault(path[:i], src)
        cfg.sources[path] = src
        for sub, _ in iter_paths(value, path):
            cfg.sources[sub] = src
    return cfg


def apply_mapping(cfg: Config, mapping: Mapping[str, Any]) -> Config:
    """Apply a nested mapping of overrides (PaddleDetection's `merge_config(dict)` form)."""
    items: List[str] = []
    for path, value in iter_paths(dict(mapping)):
        items.append('.'.join(str(p) for p in path) + '=' + _to_yaml_flow(value))
    return apply_overrides(cfg, items)


def _to_yaml_flow(value: Any) -> str:
    import yaml
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 30).strip()
    return text[:-4].strip() if text.endswith('\n...') else text.replace('\n...', '')


def flatten_override_args(groups: Union[None, Sequence[Union[str, Sequence[str]]]]) -> List[str]:
    """argparse gives `[[a=1, b=2], [c=3]]` for `-o a=1 b=2 -o c=3`; keep every item."""
    out: List[str] = []
    for group in groups or []:
        if isinstance(group, str):
            out.append(group)
        else:
            out.extend(group)
    return out

