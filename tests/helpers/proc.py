"""Run a child program from a test so that it can never hang the suite.

One stuck child (or a grandchild holding its output pipes) used to stop the whole test run;
`run_bounded` kills the child's whole process group at the timeout, and here that becomes a
test failure that shows what the child printed until then.
"""
from __future__ import annotations

import subprocess
import time
from typing import Mapping, Optional, Sequence

from ppdet.utils.processes import run_bounded

__all__ = ['run', 'ChildTimeout', 'process_gone']


class ChildTimeout(AssertionError):
    """A child program ran past its time; carries what it printed until then."""


def run(args: Sequence[str], *, timeout: float, cwd: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None, check: bool = False
        ) -> subprocess.CompletedProcess:
    """Like `subprocess.run(args, capture_output=True, text=True)`, but bounded in time."""
    try:
        done = run_bounded(args, timeout=timeout, cwd=cwd, env=env)
    except subprocess.TimeoutExpired as e:
        raise ChildTimeout(f'{" ".join(map(str, args))} ran past {timeout:.0f} s and was '
                           f'killed with its process group.\n--- stdout (tail)\n'
                           f'{(e.output or "")[-4000:]}\n--- stderr (tail)\n'
                           f'{(e.stderr or "")[-4000:]}') from None
    if check:
        done.check_returncode()
    return done


def process_gone(pid: int, within: float = 10.0) -> bool:
    """True once `pid` has exited (a zombie waiting for its parent counts as gone)."""
    deadline = time.monotonic() + within
    while True:
        try:
            with open(f'/proc/{pid}/stat') as f:
                state = f.read().rsplit(') ', 1)[1][0]
        except FileNotFoundError:
            return True
        if state == 'Z' or time.monotonic() > deadline:
            return state == 'Z'
        time.sleep(0.1)
