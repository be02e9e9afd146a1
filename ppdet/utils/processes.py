"""Starting other processes: which way workers start, and children that always end.

A plain fork copies only the calling thread. Locks that other threads held at that moment
(Paddle's allocator and thread pools, OpenCV's and OpenMP's pools once the parent has used
them) stay locked in the child for ever, so a forked worker can hang at random, more often
on some machines than others. A forkserver starts workers from a clean single-threaded
process instead; spawn is the fallback where there is no forkserver.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
from multiprocessing.context import BaseContext
from typing import Mapping, Optional, Sequence

__all__ = ['worker_context', 'run_bounded']

_DRAIN_S = 10.0  # after the kill: how long to wait for the pipes to close


def worker_context() -> BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context('forkserver' if 'forkserver' in methods else 'spawn')


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_bounded(args: Sequence[str], *, timeout: float, cwd: Optional[str] = None,
                env: Optional[Mapping[str, str]] = None, merge_stderr: bool = False
                ) -> subprocess.CompletedProcess:
    """`subprocess.run(args, capture_output=True, text=True, timeout=...)` that really ends.

    subprocess.run kills only the direct child at the timeout and then waits for the output
    pipes to close, which never happens while something the child started (a compiler, a
    worker) still holds them. Here the child leads a process group of its own, and the whole
    group is killed: at the timeout (TimeoutExpired, with the output read so far) and after a
    normal exit, so no stray process outlives the call.
    """
    proc = subprocess.Popen([str(a) for a in args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT if merge_stderr else subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        try:
            out, err = proc.communicate(timeout=_DRAIN_S)
        except subprocess.TimeoutExpired:  # a grandchild left the group and holds the pipes
            out, err = '', '(output lost: a process outside the group kept the pipes open)'
        raise subprocess.TimeoutExpired(proc.args, timeout, output=out, stderr=err) from None
    finally:
        _kill_group(proc.pid)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
