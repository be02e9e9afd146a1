"""One-line progress reports with rate and ETA, for training and for long evaluations."""
from __future__ import annotations

import sys
import time
from typing import Dict, Optional, TextIO

__all__ = ['Progress', 'format_seconds']


def format_seconds(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f'{h:d}:{m:02d}:{s:02d}'


class Progress:
    """Tracks done/total work units and prints `label done/total ... eta` lines.

    On a terminal the line is redrawn in place; in logs (CI, files) it prints every
    `every` units so the log stays readable.
    """

    def __init__(self, total: int, label: str = '', every: int = 20,
                 stream: Optional[TextIO] = None, enabled: bool = True) -> None:
        self.total = max(0, int(total))
        self.label = label
        self.every = max(1, every)
        self.stream = stream or sys.stdout
        self.enabled = enabled
        self.done = 0
        self.start = time.perf_counter()
        self.tty = hasattr(self.stream, 'isatty') and self.stream.isatty()

    def eta(self) -> float:
        elapsed = time.perf_counter() - self.start
        if self.done == 0:
            return float('nan')
        return elapsed / self.done * (self.total - self.done)

    def update(self, n: int = 1, stats: Optional[Dict[str, float]] = None,
               force: bool = False) -> None:
        self.done += n
        if not self.enabled:
            return
        if not (force or self.tty or self.done % self.every == 0 or self.done == self.total):
            return
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        parts = [f'{self.label} {self.done}/{self.total}'.strip()]
        for k, v in (stats or {}).items():
            parts.append(f'{k} {v:.4g}' if isinstance(v, float) else f'{k} {v}')
        eta = self.eta()
        parts.append(f'{rate:.2f} it/s')
        parts.append('eta ' + (format_seconds(eta) if eta == eta else '?'))
        line = '  '.join(parts)
        if self.tty:
            end = '\n' if self.done >= self.total else ''
            self.stream.write('\r' + line.ljust(100) + end)
        else:
            self.stream.write(line + '\n')
        self.stream.flush()
