"""Weight sources: local paths with/without suffix and URLs downloaded once through a local HTTP
server into the cache; an offline run (server stopped) uses the cached file without a request."""
import hashlib

import pytest

from ppdet.checkpoint import resolve_weights_path
from ppdet.checkpoint.sources import CACHE_ENV, cached_path_for_url
from ppdet.core.errors import WeightsError
from tests.helpers.http_server import LocalServer


_Server = LocalServer


@pytest.fixture
def served(tmp_path):
    root = tmp_path / 'srv'
    root.mkdir()
    payload = b'\x80\x04weights' * 1000
    (root / 'model.pdparams').write_bytes(payload)
    server = _Server(root)
    yield server, payload
    server.stop()


def test_local_path_with_and_without_suffix(tmp_path):
    f = tmp_path / 'm.pdparams'
    f.write_bytes(b'x')
    assert resolve_weights_path(str(f)) == str(f)
    assert resolve_weights_path(str(tmp_path / 'm')) == str(f)
    with pytest.raises(WeightsError, match='not found'):
        resolve_weights_path(str(tmp_path / 'other'))


def test_url_downloaded_once_then_offline(tmp_path, served, monkeypatch):
    server, payload = served
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / 'cache'))
    md5 = hashlib.md5(payload).hexdigest()
    url = f'{server.url}/model.pdparams#md5={md5}'
    path = resolve_weights_path(url, progress=None)
    assert open(path, 'rb').read() == payload
    assert path.startswith(str(tmp_path / 'cache'))
    assert len(server.requests) == 1
    server.stop()  # offline from now on
    again = resolve_weights_path(url, progress=None)
    assert again == path
    assert len(server.requests) == 1  # no request at all, checksum verified locally


def test_checksum_mismatch_is_refused_and_nothing_cached(tmp_path, served):
    server, _ = served
    url = f'{server.url}/model.pdparams#sha256={"0" * 64}'
    cache = str(tmp_path / 'c')
    with pytest.raises(WeightsError, match='sha256'):
        resolve_weights_path(url, cache_dir=cache, progress=None)
    import os
    assert not os.path.exists(cached_path_for_url(url, cache))
    assert os.listdir(cache) == []  # the temporary file is gone too


def test_download_error_names_url(tmp_path, served):
    server, _ = served
    url = f'{server.url}/missing.pdparams'
    with pytest.raises(WeightsError, match='missing.pdparams'):
        resolve_weights_path(url, cache_dir=str(tmp_path / 'c'), progress=None)


def test_progress_reported(tmp_path, served):
    server, payload = served
    seen = []
    resolve_weights_path(f'{server.url}/model.pdparams', cache_dir=str(tmp_path / 'c'),
                         progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(payload), len(payload))
