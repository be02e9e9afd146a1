"""Checkpoint metadata side file and atomic file writes.

A checkpoint `<prefix>.pdparams` stays a plain state dict that `paddle.load` reads; what the
checkpoint *is* (architecture, class names, resolved config, step, library versions) lives in
`<prefix>.meta.json` next to it. JSON, not pickle: it is read before any weights, and reading
it must never be able to run code.
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Callable, Dict, IO, Optional

from ppdet.core.errors import WeightsError

__all__ = ['META_SUFFIX', 'FORMAT_NAME', 'FORMAT_VERSION', 'prefix_of', 'meta_path_for',
           'read_metadata', 'atomic_write', 'atomic_write_json']

META_SUFFIX = '.meta.json'
FORMAT_NAME = 'ppdet-checkpoint'
FORMAT_VERSION = 1
_KNOWN_SUFFIXES = ('.pdparams', '.pdopt', '.pdstate', META_SUFFIX)


def prefix_of(path: str) -> str:
    """`out/model_final.pdparams` -> `out/model_final` (also for the other checkpoint files)."""
    for suf in _KNOWN_SUFFIXES:
        if path.endswith(suf):
            return path[:-len(suf)]
    return path


def meta_path_for(path: str) -> str:
    return prefix_of(path) + META_SUFFIX


def read_metadata(path: str) -> Optional[Dict[str, Any]]:
    """Metadata stored next to a weights file, or None for files ppdet did not write."""
    mpath = meta_path_for(path)
    if not os.path.isfile(mpath):
        return None
    try:
        with open(mpath, 'r', encoding='utf-8') as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        raise WeightsError(f'{mpath}: unreadable checkpoint metadata ({e}); delete it to load '
                           'the weights without metadata') from None
    if not isinstance(meta, dict) or meta.get('format') != FORMAT_NAME:
        raise WeightsError(f'{mpath}: not a ppdet checkpoint metadata file')
    return meta


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write `path` through a temporary file in the same directory, fsync, then rename.

    A crash at any moment leaves either the old file or the new one, never a partial file.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + os.path.basename(path) + '.', suffix='.tmp',
                               dir=directory)
    try:
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def atomic_write_json(path: str, obj: Any) -> None:
    data = json.dumps(obj, indent=1, sort_keys=True, ensure_ascii=False).encode('utf-8')
    atomic_write(path, lambda f: f.write(data))
