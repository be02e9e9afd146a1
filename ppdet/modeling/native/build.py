"""Compile and load the native CPU kernels once per machine, and say so when they cannot be.

The kernels (`*.cc` beside this file) are built with Paddle's custom-operator toolchain the first
time a model needs them, for the CPU they run on (`-march=native`; if the compiler refuses that,
a second build without it), with OpenMP on Intel's runtime (libiomp5 from paddle/libs, the
runtime of MKL's GEMMs: one thread pool instead of two fighting over the cores), and cached under
`$PPDET_NATIVE_CACHE` or `~/.cache/ppdet/native/<key>`. The key covers the sources, the Paddle
version, the compiler flags and the CPU's feature flags, so a changed file, a Paddle upgrade or a
home directory shared with another CPU model rebuilds instead of loading a stale library. A file
lock serialises concurrent first builds (data-loader workers, several training processes).

`PPDET_NATIVE=0` turns the kernels off; the models then use Paddle's own operators, with the same
parameters and the same numbers up to float32 round-off. A failed build (no compiler, no headers)
is reported once as a warning with the compiler's last lines and the models fall back likewise.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import platform
import sys
import threading
import warnings
from types import ModuleType
from typing import List, Optional

ENV_SWITCH = 'PPDET_NATIVE'
ENV_CACHE = 'PPDET_NATIVE_CACHE'
HERE = os.path.dirname(os.path.abspath(__file__))
# conv2d.cc needs a CBLAS sgemm: the MKL library that the x86 Paddle wheels ship in paddle/libs
SOURCES_ALWAYS = ['bn_act.cc', 'depthwise.cc']
SOURCES_BLAS = ['conv2d.cc']
HEADERS = ['affine_act.h']
CXX_FLAGS = ['-O3', '-march=native', '-ffp-contract=off', '-std=c++17']
# second attempt when the compiler does not know -march=native for this CPU
PORTABLE_FLAGS = [f for f in CXX_FLAGS if not f.startswith('-march')]

_lock = threading.Lock()
_state = {'tried': False, 'module': None, 'error': None, 'has_conv': False}


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, '1').strip().lower() not in ('0', 'false', 'no', 'off')


def _paddle_libs() -> str:
    import paddle
    return os.path.join(os.path.dirname(paddle.__file__), 'libs')


def _blas_dir() -> Optional[str]:
    libs = _paddle_libs()
    return libs if os.path.exists(os.path.join(libs, 'libmklml_intel.so')) else None


def _cpu_flags() -> str:
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith(('flags', 'Features')):
                    return line
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cache_dir(sources: List[str], flags: List[str] = CXX_FLAGS) -> str:
    import paddle
    h = hashlib.sha256()
    for name in list(sources) + HEADERS:
        with open(os.path.join(HERE, name), 'rb') as f:
            h.update(name.encode() + b'\0' + f.read())
    h.update(' '.join(flags).encode())
    h.update(paddle.__version__.encode())
    h.update(sys.version.encode())
    h.update(_cpu_flags().encode())
    root = os.environ.get(ENV_CACHE) or os.path.join(os.path.expanduser('~'), '.cache', 'ppdet',
                                                     'native')
    return os.path.join(os.path.abspath(os.path.expanduser(root)), h.hexdigest()[:16])


@contextlib.contextmanager
def _file_lock(path: str):
    import fcntl
    with open(path, 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def _quiet():
    """Paddle's extension builder logs at INFO and prints compiler chatter; keep it for errors."""
    loggers = [logging.getLogger('utils.cpp_extension')]
    levels = [lg.level for lg in loggers]
    out = io.StringIO()
    try:
        for lg in loggers:
            lg.setLevel(logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            with contextlib.redirect_stdout(out):
                yield out
    finally:
        for lg, lv in zip(loggers, levels):
            lg.setLevel(lv)


@contextlib.contextmanager
def _no_ccache_warning_in_build():
    """Paddle's builder runs setup.py in a child Python, whose `import paddle` warns "No
    ccache found"; ignore that one warning there (the child reads PYTHONWARNINGS), only while
    building."""
    old = os.environ.get('PYTHONWARNINGS')
    os.environ['PYTHONWARNINGS'] = ','.join(
        filter(None, [old, 'ignore:No ccache found:UserWarning']))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop('PYTHONWARNINGS', None)
        else:
            os.environ['PYTHONWARNINGS'] = old


def _build(flags: List[str]) -> ModuleType:
    libs = _paddle_libs()
    blas = _blas_dir()
    sources = SOURCES_ALWAYS + (SOURCES_BLAS if blas else [])
    ldflags = [f'-L{libs}', f'-Wl,-rpath,{libs}'] + (['-l:libmklml_intel.so'] if blas else [])
    if os.path.exists(os.path.join(libs, 'libiomp5.so')):
        # OpenMP regions on Intel's runtime, the one MKL uses: one thread pool, not two
        flags = flags + ['-fopenmp']
        ldflags = ldflags + ['-l:libiomp5.so']
    else:
        flags = flags + ['-fopenmp-simd']  # vectorised, one thread
    target = cache_dir(sources, flags)
    os.makedirs(target, exist_ok=True)
    _state['has_conv'] = bool(blas)
    with _file_lock(os.path.join(target, '.lock')), _quiet():
        ready = os.path.join(target, 'READY')
        if os.path.exists(ready):
            try:  # built before: import it without re-running the build (saves ~1 s a process)
                from paddle.utils.cpp_extension.extension_utils import \
                    _import_module_from_library
                return _import_module_from_library('ppdet_native',
                                                   os.path.join(target, 'ppdet_native'))
            except Exception:
                os.remove(ready)
        print(f'ppdet: building the native CPU kernels once for this machine into {target} '
              '(about 20 s)', file=sys.stderr, flush=True)
        from paddle.utils import cpp_extension
        with _no_ccache_warning_in_build():
            module = cpp_extension.load(
                name='ppdet_native', sources=[os.path.join(HERE, s) for s in sources],
                extra_cxx_cflags=flags, extra_ldflags=ldflags, build_directory=target,
                verbose=False)
        with open(ready, 'w') as f:
            f.write('built\n')
    return module


def native_module() -> Optional[ModuleType]:
    """The compiled kernels, building them on first use; None when off or unbuildable."""
    if not enabled():
        return None
    if _state['tried']:
        return _state['module']
    with _lock:
        if not _state['tried']:
            try:
                if not sys.platform.startswith('linux'):
                    raise RuntimeError(f'native kernels are built on Linux only '
                                       f'(this is {sys.platform})')
                try:
                    _state['module'] = _build(CXX_FLAGS)
                except Exception:
                    _state['module'] = _build(PORTABLE_FLAGS)
            except Exception as e:  # compiler missing, headers missing, link error
                msg = str(e).strip().splitlines()
                _state['error'] = '\n'.join(msg[-8:])
                warnings.warn('ppdet: native CPU kernels unavailable, using Paddle operators '
                              f'(slower on CPU; set {ENV_SWITCH}=0 to silence). Reason:\n'
                              + _state['error'], RuntimeWarning, stacklevel=2)
            _state['tried'] = True
    return _state['module']


def has_conv() -> bool:
    return native_module() is not None and _state['has_conv']


def status() -> str:
    """One line for logs and benchmarks: which kernels run."""
    if not enabled():
        return f'native kernels off ({ENV_SWITCH}=0)'
    mod = native_module()
    if mod is None:
        return f'native kernels unavailable: {_state["error"]}'
    parts = ['bn+act', 'depthwise'] + (['conv (strip im2col + MKL sgemm)']
                                       if _state['has_conv'] else [])
    return 'native kernels: ' + ', '.join(parts)
