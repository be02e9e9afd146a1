"""CPU threads for Paddle's kernels, chosen by a program's `main`, never at import.

Paddle uses one thread unless told otherwise, and it reads OMP_NUM_THREADS when it is imported:
a value above 1 makes it print "WARNING: OMP_NUM_THREADS set to N ... PLEASE USE
OMP_NUM_THREADS WISELY" (paddle/base/__init__.py), in every process that imports it, reader
workers included; unset, Paddle sets it to 1 itself. So tools do not write the variable: they
import Paddle, then give its math library and OpenMP runtime (the one MKL and our native kernels
run on) the threads with `core.set_num_threads`. A user's own OMP_NUM_THREADS still wins.
"""
from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Optional, Tuple

__all__ = ['use_cpu_threads', 'wanted_cpu_threads', 'import_paddle_quietly']


def import_paddle_quietly() -> Any:
    """`import paddle` without its "No ccache found" UserWarning (it concerns rebuilding C++
    extensions, and the native-kernel build silences it there); other warnings still show."""
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', message='No ccache found', category=UserWarning)
        import paddle
    return paddle


def wanted_cpu_threads(threads: Optional[int] = None) -> Tuple[int, str]:
    """(threads, why): `threads` if given, else OMP_NUM_THREADS if set, else the cores shared
    among the data-parallel processes of this machine."""
    if threads is not None:
        return max(1, int(threads)), 'asked for'
    env = os.environ.get('OMP_NUM_THREADS', '').strip()
    if env.isdigit() and int(env) > 0:
        return int(env), 'from OMP_NUM_THREADS'
    local = int(os.environ.get('PADDLE_LOCAL_SIZE') or os.environ.get('PADDLE_TRAINERS_NUM')
                or 1)
    return max(1, (os.cpu_count() or 1) // max(1, local)), 'every core; set OMP_NUM_THREADS to change'


def use_cpu_threads(threads: Optional[int] = None) -> str:
    """Point MKL at the processor's kernels (`ppdet.utils.cpu`), import Paddle (quietly) and
    give its CPU kernels the threads `wanted_cpu_threads` chooses; return one line saying how
    many and why. OMP_NUM_THREADS is left as it is."""
    from ppdet.utils.cpu import tune_math_library
    count, why = wanted_cpu_threads(threads)
    tuned = tune_math_library() if 'paddle' not in sys.modules else None
    import_paddle_quietly()
    from paddle.base import core
    core.set_num_threads(count)
    return f'CPU threads: {count} ({why})' + (f'; {tuned}' if tuned else '')
