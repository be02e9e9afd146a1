"""Writing files so that a crash never leaves half of one behind."""
from __future__ import annotations

import json
import os
import tempfile
from typing import IO, Any, Callable

__all__ = ['atomic_write', 'atomic_write_text', 'atomic_write_json']


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


def atomic_write_text(path: str, text: str) -> None:
    data = text.encode('utf-8')
    atomic_write(path, lambda f: f.write(data))


def atomic_write_json(path: str, obj: Any, *, indent: int = 1, sort_keys: bool = False,
                      default: Any = None) -> None:
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=False,
                      default=default) + '\n'
    atomic_write_text(path, text)
