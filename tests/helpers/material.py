"""Where tests find their material, and what its absence means.

The shipped data (`dataset/bccd`, `dataset/bccd_seg`) is part of every clone: a missing file
there is a defect and fails. `../shared` (reference keys, parity fixtures, the PaddleDetection
configs) exists on developer machines and in CI, not in a user's clone: only a missing
`../shared` as a whole skips, and not even that when PPDET_REQUIRE_SHARED=1 (`.ci/run` sets
it). A file missing from an existing `../shared` fails.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get('PPDET_SHARED', ROOT.parent / 'shared'))

__all__ = ['ROOT', 'SHARED', 'shared_path', 'shipped_path']


def shared_path(*parts: str) -> Path:
    """`../shared/<parts>`; skips only in a clone without ../shared (see the module text)."""
    path = SHARED.joinpath(*parts)
    if path.exists():
        return path
    if SHARED.is_dir() or os.environ.get('PPDET_REQUIRE_SHARED') == '1':
        pytest.fail(f'{path} is missing (reference material at {SHARED}: '
                    f'{"present" if SHARED.is_dir() else "absent"}, and this run requires it)')
    pytest.skip(f'{SHARED} is absent: only developer machines and CI have the reference '
                f'material')


def shipped_path(*parts: str) -> Path:
    """A file shipped with the project; its absence fails."""
    path = ROOT.joinpath(*parts)
    if not path.exists():
        pytest.fail(f'{path} is missing: it is shipped with the project '
                    f'(restore it with git checkout -- {path.relative_to(ROOT)})')
    return path
