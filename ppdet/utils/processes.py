"""Which way worker processes are started.

A plain fork copies only the calling thread. Locks that other threads held at that moment
(Paddle's allocator and thread pools, OpenCV's and OpenMP's pools once the parent has used
them) stay locked in the child for ever, so a forked worker can hang at random, more often
on some machines than others. A forkserver starts workers from a clean single-threaded
process instead; spawn is the fallback where there is no forkserver.
"""
from __future__ import annotations

import multiprocessing
from multiprocessing.context import BaseContext

__all__ = ['worker_context']


def worker_context() -> BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context('forkserver' if 'forkserver' in methods else 'spawn')
