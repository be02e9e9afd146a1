"""Compile and load the native CPU kernels once per machine, and say so when they cannot be.

The kernels (`*.cc` beside this file) are built with Paddle's custom-operator toolchain the first
time a model needs them, for the CPU they run on (`-march=native`; if the compiler refuses that,
a second build without it), with OpenMP on Intel's runtime (libiomp5 from paddle/libs, the
runtime of MKL's GEMMs: one thread pool instead of two fighting over the cores), and cached under
`$PPDET_NATIVE_CACHE` or `~/.cache/ppdet/native/<key>`. The key covers the sources, the Paddle
version, the compiler flags and the CPU's feature flags, so a changed file, a Paddle upgrade or a
home directory shared with another CPU model rebuilds instead of loading a stale library. A file
lock serialises concurrent first builds (data-loader workers, several training processes). The
compiler runs in a child process whose output is kept for the error message: nothing of this
process (stdout, warning filters, loggers) is changed while it builds.

`PPDET_NATIVE=0` turns the kernels off; the models then use Paddle's own operators, with the same
parameters and the same numbers up to float32 round-off. A failed build (no compiler, no headers)
is reported once as a warning with the compiler's last lines and the models fall back likewise.
Which operator a convolution runs is decided in `ppdet.modeling.layers.conv_backend`.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
import subprocess
import sys
import threading
import warnings
from types import ModuleType
from typing import List, Optional, Tuple

from ppdet.utils.processes import run_bounded

ENV_SWITCH = 'PPDET_NATIVE'
ENV_CACHE = 'PPDET_NATIVE_CACHE'
HERE = os.path.dirname(os.path.abspath(__file__))
# conv2d.cc needs a CBLAS sgemm: the MKL library that the x86 Paddle wheels ship in paddle/libs
SOURCES_ALWAYS = ['bn_act.cc', 'depthwise.cc']
SOURCES_BLAS = ['conv2d.cc']
HEADERS = ['affine_act.h', 'conv_geometry.h', 'tensor_checks.h']
MODULE_NAME = 'ppdet_native'
PADDLE_EXTENSION_LOGGER = 'utils.cpp_extension'  # the logger of paddle.utils.cpp_extension
CXX_FLAGS = ['-O3', '-march=native', '-ffp-contract=off', '-std=c++17']
# second attempt when the compiler does not know -march=native for this CPU
PORTABLE_FLAGS = [f for f in CXX_FLAGS if not f.startswith('-march')]

# about 20 s on two cores; a build still running after this is stuck (it holds the lock that
# other processes wait on), so it is stopped and the models fall back to Paddle's operators
BUILD_TIMEOUT_S = 900

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


# Run in a child process, which compiles with Paddle's extension builder and then exits: its
# output (Paddle's "Compiling ..." line, the compiler's chatter and errors) goes to a pipe, not
# to this process's stdout, and a failure leaves nothing half-loaded here. It tries each flag
# set in turn (one Paddle import for both) and prints the index of the one that built. It
# imports only paddle, so it works however ppdet itself was put on the path.
_BUILD_SCRIPT = """
import json, sys
from paddle.utils import cpp_extension
job = json.loads(sys.argv[1])
for i, attempt in enumerate(job['attempts']):
    try:
        cpp_extension.load(name=job['name'], sources=job['sources'],
                           extra_cxx_cflags=attempt['flags'], extra_ldflags=job['ldflags'],
                           build_directory=attempt['target'], verbose=False)
    except Exception as e:
        print(e, flush=True)
        continue
    print('PPDET_BUILT', i, flush=True)
    sys.exit(0)
sys.exit(1)
"""


def _compile_in_child(sources: List[str], ldflags: List[str],
                      attempts: List[Tuple[List[str], str]]) -> int:
    """Build with the first flag set that compiles; return its index in `attempts`."""
    job = {'name': MODULE_NAME, 'sources': [os.path.join(HERE, s) for s in sources],
           'ldflags': ldflags, 'attempts': [{'flags': f, 'target': t} for f, t in attempts]}
    try:
        proc = run_bounded([sys.executable, '-c', _BUILD_SCRIPT, json.dumps(job)],
                           timeout=BUILD_TIMEOUT_S, merge_stderr=True)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f'building {MODULE_NAME} did not finish within {BUILD_TIMEOUT_S} s '
                           f'and was stopped:\n' + (e.output or '').strip()[-2000:]) from None
    last = proc.stdout.strip().splitlines()[-1:] or ['']
    if proc.returncode == 0 and last[0].startswith('PPDET_BUILT'):
        return int(last[0].split()[1])
    raise RuntimeError(f'building {MODULE_NAME} failed:\n' + proc.stdout.strip())


class _DropInfo(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.INFO


def _load(target: str) -> ModuleType:
    """Import a built library. Paddle's loader logs at INFO on its own logger ("using custom
    operator only"), and its extension module may warn "No ccache found" on first import; those
    INFO lines and that one warning are dropped, only for the duration of this call."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='No ccache found')
        from paddle.utils.cpp_extension.extension_utils import _import_module_from_library
    logger, drop = logging.getLogger(PADDLE_EXTENSION_LOGGER), _DropInfo()
    logger.addFilter(drop)
    try:
        return _import_module_from_library(MODULE_NAME, os.path.join(target, MODULE_NAME))
    finally:
        logger.removeFilter(drop)


def _build() -> ModuleType:
    """Load the kernels built before for this machine, or build them (`-march=native` first,
    then without it) and load them."""
    libs = _paddle_libs()
    blas = _blas_dir()
    sources = SOURCES_ALWAYS + (SOURCES_BLAS if blas else [])
    ldflags = [f'-L{libs}', f'-Wl,-rpath,{libs}'] + (['-l:libmklml_intel.so'] if blas else [])
    extra = ['-fopenmp-simd']  # vectorised, one thread
    if os.path.exists(os.path.join(libs, 'libiomp5.so')):
        # OpenMP regions on Intel's runtime, the one MKL uses: one thread pool, not two
        extra = ['-fopenmp']
        ldflags = ldflags + ['-l:libiomp5.so']
    attempts = [(flags + extra, cache_dir(sources, flags + extra))
                for flags in (CXX_FLAGS, PORTABLE_FLAGS)]
    for _, target in attempts:
        os.makedirs(target, exist_ok=True)
    _state['has_conv'] = bool(blas)
    with _file_lock(os.path.join(attempts[0][1], '.lock')):
        for _, target in attempts:
            ready = os.path.join(target, 'READY')
            if os.path.exists(ready):
                try:  # built before: import it without building again
                    return _load(target)
                except Exception:
                    os.remove(ready)
        print(f'ppdet: building the native CPU kernels once for this machine into '
              f'{attempts[0][1]} (about 20 s)', file=sys.stderr, flush=True)
        target = attempts[_compile_in_child(sources, ldflags, attempts)][1]
        module = _load(target)
        with open(os.path.join(target, 'READY'), 'w') as f:
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
                _state['module'] = _build()
            except Exception as e:  # compiler missing, headers missing, link error
                msg = [line for line in str(e).strip().splitlines() if line.strip()]
                # what went wrong (first line), then the compiler's last words
                _state['error'] = '\n'.join(msg if len(msg) <= 9 else msg[:1] + ['...'] + msg[-7:])
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
