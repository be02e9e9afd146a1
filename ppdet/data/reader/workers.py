"""Worker processes that build batches in parallel and hand them back in order.

Each worker receives the dataset and pipeline once (as process arguments, no globals), then
(batch_index, indices) tasks; results are reordered in the parent, so the output is identical
to building in-process. An error in a worker is re-raised in the parent: user errors
(PPDetError) as they are, anything else with the worker's traceback.
"""
from __future__ import annotations

import os
import signal
import traceback
from typing import Any, Dict, Iterator, List, Tuple

from ppdet.core.errors import PPDetError
from ppdet.data.reader.pipeline import Pipeline
from ppdet.utils.processes import worker_context

__all__ = ['run_in_workers', 'WorkerError']

_STOP = None
_JOIN_TIMEOUT_S = 5.0


class WorkerError(RuntimeError):
    """A bug (not a user error) inside a reader worker; carries the worker traceback."""


def _worker(pipeline: Pipeline, dataset: Any, seed: int, epoch: int, tasks: Any,
            results: Any) -> None:
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    # the parent stops workers with SIGTERM; the default action ends them quietly (Paddle's
    # inherited handler would print a fatal-error report for an orderly shutdown)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        import cv2
        cv2.setNumThreads(1)  # workers are the parallelism; avoid oversubscribing the cores
    except Exception:
        pass
    while True:
        task = tasks.get()
        if task is _STOP:
            return
        bidx, indices = task
        try:
            out: Any = pipeline.batch(dataset, indices, bidx, seed, epoch)
        except PPDetError as e:
            out = e
        except BaseException:  # report, never hang the parent
            out = WorkerError(f'reader worker failed on batch {bidx}:\n'
                              f'{traceback.format_exc()}')
        results.put((bidx, out))


def run_in_workers(pipeline: Pipeline, dataset: Any, batches: List[List[int]], seed: int,
                   epoch: int, worker_num: int, prefetch: int = 2) -> Iterator[Dict[str, Any]]:
    """Yield the batches built by `worker_num` processes, in the order of `batches`."""
    ctx = worker_context()  # never a plain fork: see ppdet/utils/processes.py
    tasks, results = ctx.Queue(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(pipeline, dataset, seed, epoch, tasks, results),
                         daemon=True) for _ in range(worker_num)]
    for p in procs:
        p.start()
    pending: Dict[int, Any] = {}
    sent = 0
    limit = max(1, worker_num * prefetch)
    try:
        for want in range(len(batches)):
            while sent < len(batches) and sent - want < limit:
                tasks.put((sent, batches[sent]))
                sent += 1
            while want not in pending:
                bidx, out = _get(results, procs)
                pending[bidx] = out
            out = pending.pop(want)
            if isinstance(out, BaseException):
                raise out
            yield out
    finally:
        for _ in procs:
            tasks.put(_STOP)
        for p in procs:
            p.join(_JOIN_TIMEOUT_S)
            if p.is_alive():
                p.terminate()
                p.join(_JOIN_TIMEOUT_S)
        tasks.close()
        results.close()


def _get(results: Any, procs: List[Any]) -> Tuple[int, Any]:
    import queue
    while True:
        try:
            return results.get(timeout=1.0)
        except queue.Empty:
            dead = [p for p in procs if not p.is_alive()]
            if dead:
                raise WorkerError(f'reader worker exited early with code {dead[0].exitcode} '
                                  f'(killed, e.g. out of memory?)') from None
