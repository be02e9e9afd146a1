"""The config object and the `_BASE_` include mechanism.

A `Config` is a plain mapping (with attribute access) that owns its values and a record of
where each value came from. Nothing here is global: every load builds a fresh object.
"""
from __future__ import annotations

import copy
import os
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ppdet.core.errors import ConfigError
from ppdet.core.registry import get_schema
from ppdet.core.yaml_loader import Path, Source, parse_yaml

__all__ = ['AttrDict', 'Config', 'read_config_file', 'deep_merge']

BASE_KEY = '_BASE_'


class AttrDict(dict):
    """A dict whose keys are also attributes (`cfg.TrainReader.batch_size`)."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __deepcopy__(self, memo: Dict[int, Any]) -> 'AttrDict':
        return type(self)((k, copy.deepcopy(v, memo)) for k, v in self.items())


def to_attrdict(value: Any) -> Any:
    if isinstance(value, dict):
        return AttrDict((k, to_attrdict(v)) for k, v in value.items())
    if isinstance(value, list):
        return [to_attrdict(v) for v in value]
    return value


class Config(AttrDict):
    """A resolved config: values plus `sources` (path -> Source) and the files it was read from.

    `sources` and `files` are instance attributes, not keys, so they never appear in the
    resolved YAML.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        object.__setattr__(self, 'sources', {})
        object.__setattr__(self, 'files', [])
        object.__setattr__(self, 'notices', [])

    def __deepcopy__(self, memo: Dict[int, Any]) -> 'Config':
        new = Config((k, copy.deepcopy(v, memo)) for k, v in self.items())
        object.__setattr__(new, 'sources', dict(self.sources))
        object.__setattr__(new, 'files', list(self.files))
        object.__setattr__(new, 'notices', list(self.notices))
        return new

    def source_of(self, path: Path) -> Optional[Source]:
        """The source of `path`, or of its nearest recorded ancestor."""
        path = tuple(path)
        while path:
            if path in self.sources:
                return self.sources[path]
            path = path[:-1]
        return None

    def where(self, path: Path) -> str:
        src = self.source_of(path)
        return src.describe() if src is not None else '<config>'


def _is_tag_allowed(name: str) -> bool:
    return get_schema(name) is not None


def _drop_sources(sources: Dict[Path, Source], prefix: Path) -> None:
    n = len(prefix)
    for p in [p for p in sources if p[:n] == prefix]:
        del sources[p]


def _same_component(a: Any, b: Any) -> bool:
    """Two mappings merge unless both name a class and the names differ."""
    return not ('name' in a and 'name' in b and a['name'] != b['name'])


def deep_merge(dst: Dict[str, Any], dst_src: Dict[Path, Source], src: Dict[str, Any],
               src_src: Dict[Path, Source], prefix: Path = ()) -> None:
    """Merge `src` into `dst` in place: mappings merge, lists and scalars are replaced whole."""
    for key, value in src.items():
        path = prefix + (key,)
        old = dst.get(key)
        if isinstance(old, dict) and isinstance(value, dict) and _same_component(old, value):
            if path in src_src:
                dst_src[path] = src_src[path]
            deep_merge(old, dst_src, value, src_src, path)
            continue
        _drop_sources(dst_src, path)
        dst[key] = copy.deepcopy(value)
        n = len(path)
        for p, s in src_src.items():
            if p[:n] == path:
                dst_src[p] = s


def _display_path(path: str) -> str:
    rel = os.path.relpath(path)
    return rel if not rel.startswith('..' + os.sep + '..') else path


def _bases_of(data: Dict[str, Any], sources: Dict[Path, Source], shown: str) -> List[str]:
    bases = data.pop(BASE_KEY, None)
    _drop_sources(sources, (BASE_KEY,))
    if bases is None:
        return []
    if isinstance(bases, str):  # PaddleDetection iterated a string letter by letter
        return [bases]
    if isinstance(bases, list) and all(isinstance(b, str) for b in bases):
        return bases
    raise ConfigError(f'{shown}: _BASE_ must be a file name or a list of file names')


def read_config_file(path: str, chain: Tuple[str, ...] = ()) -> Tuple[Dict[str, Any],
                                                                        Dict[Path, Source],
                                                                        List[str]]:
    """Read `path` and its `_BASE_` files recursively; return values, sources, files read."""
    real = os.path.realpath(path)
    shown = _display_path(path)
    if real in chain:
        names = [_display_path(p) for p in chain[chain.index(real):]] + [shown]
        raise ConfigError('_BASE_ cycle: ' + ' -> '.join(names))
    if not os.path.isfile(path):
        where = f' (included from {_display_path(chain[-1])})' if chain else ''
        raise ConfigError(f'config file not found: {shown}{where}')
    with open(path, 'r', encoding='utf-8') as f:
        text = f.read()
    data, sources = parse_yaml(text, shown, _is_tag_allowed)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f'{shown}: a config must be a mapping of keys to values')
    merged: Dict[str, Any] = {}
    merged_src: Dict[Path, Source] = {}
    files: List[str] = []
    for base in _bases_of(data, sources, shown):
        base_path = os.path.join(os.path.dirname(path), os.path.expanduser(base))
        b_data, b_src, b_files = read_config_file(base_path, chain + (real,))
        deep_merge(merged, merged_src, b_data, b_src)
        files.extend(f for f in b_files if f not in files)
    deep_merge(merged, merged_src, data, sources)
    files.append(shown)
    return merged, merged_src, files


def iter_paths(value: Any, prefix: Path = ()) -> Iterator[Tuple[Path, Any]]:
    """Every leaf path of a nested value (mappings and lists)."""
    if isinstance(value, dict) and value:
        for k, v in value.items():
            yield from iter_paths(v, prefix + (k,))
    elif isinstance(value, list) and value:
        for i, v in enumerate(value):
            yield from iter_paths(v, prefix + (i,))
    else:
        yield prefix, value
