"""Turn a `pretrain_weights` / `weights` / `-r` value into a local `.pdparams` path.

Accepted: a `.pdparams` path, a path without the suffix, or an http(s) URL. URLs are downloaded
once into a cache directory (`~/.cache/ppdet/weights`, or `$PPDET_WEIGHTS_CACHE`) and reused
afterwards *without any network request* — PaddleDetection asks the server for an md5 on every
run, which breaks offline machines. A checksum is verified when one is known: given in the URL
fragment (`...pdparams#md5=<hex>` or `#sha256=<hex>`) or passed in `checksums`.
Downloads are written to a temporary file and renamed into place, so an interrupted download
never leaves a file that looks complete.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from typing import Callable, Mapping, Optional, Tuple

from ppdet.core.errors import WeightsError

__all__ = ['resolve_weights_path', 'weights_cache_dir', 'cached_path_for_url', 'is_url',
           'CACHE_ENV']

CACHE_ENV = 'PPDET_WEIGHTS_CACHE'
_CHUNK = 1 << 20
ProgressFn = Callable[[int, Optional[int]], None]


def is_url(source: str) -> bool:
    return source.startswith(('http://', 'https://'))


def weights_cache_dir() -> str:
    """Cache directory: `$PPDET_WEIGHTS_CACHE`, else `~/.cache/ppdet/weights`."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return os.path.abspath(os.path.expanduser(env))
    return os.path.join(os.path.expanduser('~'), '.cache', 'ppdet', 'weights')


def _split_checksum(url: str) -> Tuple[str, Optional[Tuple[str, str]]]:
    """Strip `#md5=...` / `#sha256=...` from the URL and return (url, (algo, hexdigest))."""
    base, _, frag = url.partition('#')
    if not frag:
        return base, None
    for item in frag.split('&'):
        algo, _, value = item.partition('=')
        if algo.lower() in ('md5', 'sha256', 'sha1') and value:
            return base, (algo.lower(), value.lower())
    return base, None


def cached_path_for_url(url: str, cache_dir: Optional[str] = None) -> str:
    """Where `url` is cached: the file name plus a short hash of the URL (no collisions)."""
    base, _ = _split_checksum(url)
    name = os.path.basename(urllib.parse.urlparse(base).path) or 'weights.pdparams'
    stem, ext = os.path.splitext(name)
    tag = hashlib.sha1(base.encode('utf-8')).hexdigest()[:8]
    return os.path.join(cache_dir or weights_cache_dir(), f'{stem}-{tag}{ext}')


def _file_digest(path: str, algo: str) -> str:
    h = hashlib.new(algo)
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(_CHUNK), b''):
            h.update(block)
    return h.hexdigest()


def _stderr_progress(done: int, total: Optional[int]) -> None:
    """Default progress: one updating line on stderr, only for downloads above 4 MB."""
    if total is not None and total < (4 << 20):
        return
    mb = done / 1e6
    text = f'\rdownloading weights: {mb:8.1f} MB'
    if total:
        text += f' / {total / 1e6:.1f} MB ({100.0 * done / total:5.1f}%)'
    sys.stderr.write(text)
    if total is not None and done >= total:
        sys.stderr.write('\n')
    sys.stderr.flush()


def _download(url: str, dest: str, checksum: Optional[Tuple[str, str]],
              progress: Optional[ProgressFn], timeout: float) -> None:
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.download-', dir=os.path.dirname(dest))
    hasher = hashlib.new(checksum[0]) if checksum else None
    try:
        with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            total_hdr = resp.headers.get('Content-Length')
            total = int(total_hdr) if total_hdr and total_hdr.isdigit() else None
            done = 0
            for block in iter(lambda: resp.read(_CHUNK), b''):
                out.write(block)
                if hasher:
                    hasher.update(block)
                done += len(block)
                if progress:
                    progress(done, total)
            if total is not None and done != total:
                raise WeightsError(f'{url}: download ended after {done} of {total} bytes; '
                                   'retry when the connection is stable')
            out.flush()
            os.fsync(out.fileno())
        if hasher and hasher.hexdigest() != checksum[1]:
            raise WeightsError(f'{url}: {checksum[0]} of the download is {hasher.hexdigest()}, '
                               f'expected {checksum[1]}; the file on the server differs from '
                               'the one you asked for (or was corrupted in transit)')
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError) as e:
        raise WeightsError(f'{url}: download failed ({e}); check the URL and the network, or '
                           f'download it yourself and pass the local path') from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _resolve_local(source: str) -> str:
    path = os.path.expanduser(source)
    tried = [path]
    if os.path.isfile(path):
        return path
    if not path.endswith('.pdparams'):
        tried.append(path + '.pdparams')
        if os.path.isfile(tried[-1]):
            return tried[-1]
    if os.path.isdir(path):
        raise WeightsError(f'{source}: is a directory; give a .pdparams file or its path '
                           'without suffix (e.g. output/yolov3/model_final)')
    raise WeightsError(f'weights not found: tried {", ".join(tried)}; check the path '
                       '(pretrain_weights / weights / -r)')


def resolve_weights_path(source: str, *, cache_dir: Optional[str] = None,
                         checksums: Optional[Mapping[str, str]] = None,
                         progress: Optional[ProgressFn] = _stderr_progress,
                         timeout: float = 60.0) -> str:
    """Return a local path for `source` (path, path without `.pdparams`, or http(s) URL).

    `checksums` maps a URL (without fragment) to 'algo:hex' (e.g. 'md5:...'), for a known table.
    A cached URL whose checksum is known is verified locally; a mismatch re-downloads once.
    """
    if not isinstance(source, str) or not source:
        raise WeightsError(f'weights source must be a non-empty path or URL, got {source!r}')
    if not is_url(source):
        return _resolve_local(source)
    url, checksum = _split_checksum(source)
    if checksum is None and checksums and url in checksums:
        algo, _, hexd = checksums[url].partition(':')
        checksum = (algo.lower(), hexd.lower())
    dest = cached_path_for_url(source, cache_dir)
    if os.path.isfile(dest):
        if checksum is None or _file_digest(dest, checksum[0]) == checksum[1]:
            return dest
        os.unlink(dest)  # stale or corrupt cache entry: fetch it again
    _download(url, dest, checksum, progress, timeout)
    return dest
