"""CPU threads for Paddle's kernels.

Paddle reads OMP_NUM_THREADS once, when it is imported, and uses a single thread when the
variable is unset — on a 2-core laptop that halves training speed. Tools call `use_cpu_threads`
before Paddle is imported; the user's OMP_NUM_THREADS always wins.
"""
from __future__ import annotations

import os
import sys
from typing import Optional

__all__ = ['use_cpu_threads']


def use_cpu_threads(threads: Optional[int] = None) -> str:
    """Set OMP_NUM_THREADS (all cores, shared among data-parallel processes on this machine)
    unless it is set already; return a line saying what was chosen."""
    if 'paddle' in sys.modules:
        return (f'CPU threads: {os.environ.get("OMP_NUM_THREADS", "1")} '
                f'(Paddle was imported before it could be set)')
    if threads is None:
        env = os.environ.get('OMP_NUM_THREADS')
        if env:
            return f'CPU threads: {env} (from OMP_NUM_THREADS)'
        local = int(os.environ.get('PADDLE_LOCAL_SIZE') or os.environ.get('PADDLE_TRAINERS_NUM')
                    or 1)
        threads = max(1, (os.cpu_count() or 1) // max(1, local))
    os.environ['OMP_NUM_THREADS'] = str(max(1, int(threads)))
    return f'CPU threads: {os.environ["OMP_NUM_THREADS"]} (set OMP_NUM_THREADS to change)'
