"""Run a child program from a test so that it can never hang the suite.

`subprocess.run(..., timeout=T)` kills only the direct child when T passes, then waits for
its output pipes to close. Anything the child started (reader workers, the processes of
`paddle.distributed.launch`, a forkserver) still holds those pipes, so that wait has no end,
and one stuck child stops the whole test run. Here the child leads its own process group;
on timeout the whole group is killed, the output read so far is kept, and the test fails
with it. After a normal exit the group is killed too, so no stray process outlives its test.
"""
from __future__ import annotations

import os
import signal
import subprocess
from typing import Mapping, Optional, Sequence

__all__ = ['run', 'ChildTimeout']

_DRAIN_S = 10.0


class ChildTimeout(AssertionError):
    """A child program ran past its time; carries what it printed until then."""


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(args: Sequence[str], *, timeout: float, cwd: Optional[str] = None,
        env: Optional[Mapping[str, str]] = None, check: bool = False
        ) -> subprocess.CompletedProcess:
    """Like `subprocess.run(args, capture_output=True, text=True)`, but bounded in time."""
    proc = subprocess.Popen([str(a) for a in args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        try:
            out, err = proc.communicate(timeout=_DRAIN_S)
        except subprocess.TimeoutExpired:  # a grandchild left the group and holds the pipes
            out, err = '', '(output lost: a process outside the group kept the pipes open)'
        raise ChildTimeout(f'{" ".join(map(str, args))} ran past {timeout:.0f} s and was '
                           f'killed with its process group.\n--- stdout (tail)\n'
                           f'{(out or "")[-4000:]}\n--- stderr (tail)\n{(err or "")[-4000:]}'
                           ) from None
    finally:
        _kill_group(proc.pid)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    if check:
        done.check_returncode()
    return done
