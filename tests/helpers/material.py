"""Where tests find their material; a missing piece fails, it never skips.

The shipped data (`dataset/bccd`, `dataset/bccd_seg`) is part of every clone. `../shared`
(reference keys, parity fixtures, PaddleDetection's configs) sits beside the clone on developer
machines and in CI, or where PPDET_SHARED points. A test that skipped without it would hide a
defect wherever the material went missing, CI included, so its absence fails with the remedy.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get('PPDET_SHARED', ROOT.parent / 'shared'))

__all__ = ['ROOT', 'SHARED', 'shared_path', 'shipped_path']


def shared_path(*parts: str) -> Path:
    """`../shared/<parts>`; its absence fails."""
    path = SHARED.joinpath(*parts)
    if path.exists():
        return path
    if SHARED.is_dir():
        pytest.fail(f'{path} is missing from the reference material at {SHARED}')
    pytest.fail(f'{SHARED} is absent: the reference material must sit beside the clone, or '
                f'PPDET_SHARED must name its folder')


def shipped_path(*parts: str) -> Path:
    """A file shipped with the project; its absence fails."""
    path = ROOT.joinpath(*parts)
    if not path.exists():
        pytest.fail(f'{path} is missing: it is shipped with the project '
                    f'(restore it with git checkout -- {path.relative_to(ROOT)})')
    return path
