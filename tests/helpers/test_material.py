"""Missing test material skips only where it may: a clone without ../shared, outside CI."""
import pytest

from tests.helpers import material


def test_only_an_absent_shared_folder_skips_and_ci_refuses_even_that(tmp_path, monkeypatch):
    monkeypatch.delenv('PPDET_REQUIRE_SHARED', raising=False)
    monkeypatch.setattr(material, 'SHARED', tmp_path / 'no_shared')
    with pytest.raises(pytest.skip.Exception):
        material.shared_path('reference', 'keys', 'x.json')
    monkeypatch.setenv('PPDET_REQUIRE_SHARED', '1')
    with pytest.raises(pytest.fail.Exception, match='absent'):
        material.shared_path('reference', 'keys', 'x.json')


def test_a_file_missing_from_an_existing_shared_folder_fails(tmp_path, monkeypatch):
    monkeypatch.delenv('PPDET_REQUIRE_SHARED', raising=False)
    (tmp_path / 'reference').mkdir()
    (tmp_path / 'reference' / 'present.json').write_text('{}')
    monkeypatch.setattr(material, 'SHARED', tmp_path)
    assert material.shared_path('reference', 'present.json') == tmp_path / 'reference' / \
        'present.json'
    with pytest.raises(pytest.fail.Exception, match='missing'):
        material.shared_path('reference', 'gone.json')


def test_shipped_data_is_never_skipped():
    assert material.shipped_path('dataset', 'bccd', 'train.txt').is_file()
    with pytest.raises(pytest.fail.Exception, match='git checkout -- dataset/bccd/nope.txt'):
        material.shipped_path('dataset', 'bccd', 'nope.txt')
