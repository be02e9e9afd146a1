"""Which of the dataset's classes a checkpoint knows: names compared without regard to case,
near misses named.

`Person` and `person` are one class. `cars` and `car` are not matched — guessing would be a
silent label decision — but the report names `car` as close, so the user can fix the spelling
(in the dataset's label list, or in `pretrain_class_names`).
"""
from __future__ import annotations

import difflib
from typing import Dict, List, Sequence, Tuple

__all__ = ['class_key', 'same_class_lists', 'class_pairs', 'near_matches', 'describe_classes']


def class_key(name: str) -> str:
    """The identity of a class name: surrounding blanks and case do not matter."""
    return str(name).strip().casefold()


def same_class_lists(a: Sequence[str], b: Sequence[str]) -> bool:
    """Same classes in the same order (case-insensitive)."""
    return len(a) == len(b) and all(class_key(x) == class_key(y) for x, y in zip(a, b))


def class_pairs(target: Sequence[str], source: Sequence[str]
                ) -> Tuple[List[Tuple[str, int, int]], List[str]]:
    """(kept: (target name, target index, source index), new target names). An exact spelling
    wins over a match that differs only in case."""
    exact: Dict[str, int] = {}
    folded: Dict[str, int] = {}
    for i, n in enumerate(source):
        exact.setdefault(str(n), i)
        folded.setdefault(class_key(n), i)
    kept: List[Tuple[str, int, int]] = []
    new: List[str] = []
    for ti, n in enumerate(target):
        si = exact.get(str(n), folded.get(class_key(n)))
        if si is None:
            new.append(n)
        else:
            kept.append((n, ti, si))
    return kept, new


def near_matches(new: Sequence[str], source: Sequence[str], cutoff: float = 0.75
                 ) -> List[Tuple[str, str]]:
    """(new target class, the most similar checkpoint class) for each new class that has one.

    The cutoff 0.75 (difflib ratio) admits one edit in a 4-letter name (`cars`/`car` is 0.86,
    `bus`/`bicycle` 0.4), so plurals and typos are named and unrelated classes are not.
    """
    by_key = {class_key(s): s for s in source}
    out: List[Tuple[str, str]] = []
    for n in new:
        close = difflib.get_close_matches(class_key(n), list(by_key), n=1, cutoff=cutoff)
        if close:
            out.append((n, by_key[close[0]]))
    return out


def describe_classes(names: Sequence[str], limit: int = 12) -> str:
    """`3 classes [RBC, WBC, Platelets]` (long lists shortened)."""
    shown = ', '.join(str(n) for n in list(names)[:limit])
    more = f', ... (+{len(names) - limit})' if len(names) > limit else ''
    return f'{len(names)} classes [{shown}{more}]'
