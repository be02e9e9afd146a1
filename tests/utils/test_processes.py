"""Worker processes start clean: a lock another thread holds in the parent is free in them.

Under a plain fork the child would inherit that lock held, by a thread that does not exist
there, and wait on it for ever: the hang that forked reader or converter workers can meet
once Paddle, OpenCV or OpenMP have threads in the parent.
"""
import threading

from ppdet.utils.processes import worker_context

HELD = threading.Lock()


def _lock_is_free(_):
    got = HELD.acquire(timeout=2)
    if got:
        HELD.release()
    return got


def test_a_lock_held_by_another_parent_thread_is_free_in_the_workers():
    release = threading.Event()

    def hold():
        with HELD:
            release.wait()

    holder = threading.Thread(target=hold, daemon=True)
    holder.start()
    try:
        assert HELD.locked()
        with worker_context().Pool(2) as pool:
            assert pool.map(_lock_is_free, range(2)) == [True, True]
    finally:
        release.set()
        holder.join()
