"""Shared test setup: the project root on sys.path, paths to shipped data and to ../shared."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault('OMP_NUM_THREADS', '1')
# tests serve weights on 127.0.0.1; a proxy set for the machine (registries) must not be asked
for _key in ('no_proxy', 'NO_PROXY'):
    os.environ[_key] = ','.join(filter(None, [os.environ.get(_key), '127.0.0.1', 'localhost']))
from ppdet.utils.cpu import tune_math_library  # noqa: E402  (before any test imports Paddle)
tune_math_library()

SHARED = os.path.join(os.path.dirname(ROOT), 'shared')
BCCD = os.path.join(ROOT, 'dataset', 'bccd')


@pytest.fixture
def shared_dir():
    from tests.helpers.material import shared_path
    return str(shared_path())


@pytest.fixture
def project_root():
    return ROOT
