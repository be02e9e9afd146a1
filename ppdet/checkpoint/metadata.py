"""Checkpoint metadata side file and atomic file writes.

A checkpoint `<prefix>.pdparams` stays a plain state dict that `paddle.load` reads; what the
checkpoint *is* (architecture, class names, resolved config, step, library versions) lives in
`<prefix>.meta.json` next to it. JSON, not pickle: it is read before any weights, and reading
it must never be able to run code.
"""
from __future__ import annotations


import json
import os
from typing import Any, Dict, Optional

from ppdet.core.errors import WeightsError
from ppdet.utils.fileio import atomic_write  # noqa: F401  (re-exported)
from ppdet.utils.fileio import atomic_write_json as _atomic_write_json

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


def atomic_write_json(path: str, obj: Any) -> None:
    """Checkpoint metadata: sorted keys so files diff cleanly."""
    _atomic_write_json(path, obj, sort_keys=True)
