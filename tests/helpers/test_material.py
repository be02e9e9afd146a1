"""Missing test material fails, never skips; the remedy the message names (PPDET_SHARED) works."""
import os
import sys

import pytest

from tests.helpers import material
from tests.helpers.proc import run as run_child

PROBE = ('import sys; sys.path.insert(0, sys.argv[1]); import pytest\n'
         'from tests.helpers.material import shared_path\n'
         'try:\n'
         '    print(shared_path("reference"))\n'
         'except pytest.fail.Exception as e:\n'
         '    print("FAILED", e)\n')


def test_an_absent_shared_folder_fails_and_names_the_remedy(tmp_path, monkeypatch):
    monkeypatch.setattr(material, 'SHARED', tmp_path / 'no_shared')
    with pytest.raises(pytest.fail.Exception, match='absent.*PPDET_SHARED'):
        material.shared_path('reference', 'keys', 'x.json')


def test_ppdet_shared_points_the_tests_at_the_material(tmp_path):
    real = material.shared_path('reference')
    env = dict(os.environ, PPDET_SHARED=str(real.parent))
    done = run_child([sys.executable, '-c', PROBE, str(material.ROOT)], env=env, timeout=120)
    assert done.stdout.strip() == str(real), done.stdout + done.stderr
    env['PPDET_SHARED'] = str(tmp_path / 'elsewhere')
    done = run_child([sys.executable, '-c', PROBE, str(material.ROOT)], env=env, timeout=120)
    assert done.stdout.startswith('FAILED') and 'absent' in done.stdout, done.stdout


def test_a_file_missing_from_an_existing_shared_folder_fails(tmp_path, monkeypatch):
    (tmp_path / 'reference').mkdir()
    (tmp_path / 'reference' / 'present.json').write_text('{}')
    monkeypatch.setattr(material, 'SHARED', tmp_path)
    assert material.shared_path('reference', 'present.json') == tmp_path / 'reference' / \
        'present.json'
    with pytest.raises(pytest.fail.Exception, match='missing'):
        material.shared_path('reference', 'gone.json')


def test_shipped_data_missing_fails_with_the_git_remedy():
    assert material.shipped_path('dataset', 'bccd', 'train.txt').is_file()
    with pytest.raises(pytest.fail.Exception, match='git checkout -- dataset/bccd/nope.txt'):
        material.shipped_path('dataset', 'bccd', 'nope.txt')
