"""A child that hangs, with a grandchild holding its output pipes, fails its test in time."""
import sys
import time

import pytest

from tests.helpers.proc import ChildTimeout, process_gone, run

# the child starts a grandchild that inherits stdout/stderr, writes its pid, then both sleep
HANG = ('import subprocess, sys, time\n'
        'g = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])\n'
        'open(sys.argv[1], "w").write(str(g.pid))\n'
        'print("started", flush=True)\n'
        'time.sleep(120)\n')


def test_a_hanging_child_and_its_grandchild_are_killed_and_the_output_kept(tmp_path):
    pid_file = tmp_path / 'grandchild.pid'
    start = time.monotonic()
    with pytest.raises(ChildTimeout, match='ran past 3 s') as caught:
        run([sys.executable, '-c', HANG, str(pid_file)], timeout=3)
    assert time.monotonic() - start < 30
    assert 'started' in str(caught.value)
    assert process_gone(int(pid_file.read_text()))


def test_a_normal_run_returns_like_subprocess_run(tmp_path):
    done = run([sys.executable, '-c', 'import sys; print("out"); print("err", file=sys.stderr); '
                'sys.exit(3)'], timeout=60, cwd=str(tmp_path))
    assert (done.returncode, done.stdout, done.stderr) == (3, 'out\n', 'err\n')
    with pytest.raises(Exception, match='exit status 3'):
        run([sys.executable, '-c', 'raise SystemExit(3)'], timeout=60, check=True)
