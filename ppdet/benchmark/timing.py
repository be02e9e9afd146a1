"""Timing helpers shared by the benchmarks: medians of repeated runs after a warm-up."""
from __future__ import annotations

import statistics
import time
from typing import Callable, Dict, List


def time_runs(fn: Callable[[], object], runs: int = 5, warmup: int = 1) -> Dict[str, object]:
    """Run `fn` `warmup` times untimed, then `runs` times; return median/min/max seconds."""
    for _ in range(warmup):
        fn()
    samples: List[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return {'median': statistics.median(samples), 'min': min(samples), 'max': max(samples),
            'runs': samples}
