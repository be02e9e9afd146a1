"""Exception types, one per concern: each carries the file, key or line and a hint.

Tools catch `PPDetError` and print its message without a traceback; anything else is a bug.
"""
from __future__ import annotations

from typing import Iterable, Optional, Sequence
import difflib

__all__ = ['PPDetError', 'ConfigError', 'DatasetError', 'WeightsError', 'ConvertError',
           'LaunchError', 'did_you_mean']


class PPDetError(Exception):
    """Base of every error meant for the user (printed without a traceback)."""


class ConfigError(PPDetError):
    """A config file or `-o` item is wrong; the message names the file:line or the item."""


class DatasetError(PPDetError):
    """A dataset cannot be used; the message names the file and what to do."""


class WeightsError(PPDetError):
    """A weights file cannot be loaded safely or does not fit the model."""


class ConvertError(PPDetError):
    """An annotation conversion failed."""


class LaunchError(PPDetError):
    """The processes of a data-parallel run could not join one process group."""


def did_you_mean(word: str, candidates: Iterable[str], n: int = 3,
                 cutoff: float = 0.6) -> Optional[str]:
    """Return ' (did you mean: a, b?)' for the nearest candidates, or '' when none is close."""
    cands: Sequence[str] = sorted(set(candidates))
    close = difflib.get_close_matches(word, cands, n=n, cutoff=cutoff)
    if not close:
        lower = {c.lower(): c for c in cands}
        close = [lower[c] for c in difflib.get_close_matches(word.lower(), list(lower), n=n,
                                                             cutoff=cutoff)]
    if not close:
        return ''
    return ' (did you mean: ' + ', '.join(close) + '?)'
