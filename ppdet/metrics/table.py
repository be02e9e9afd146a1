"""Per-class AP table as plain text, shared by the VOC and COCO metrics and `tools/eval.py`."""
from __future__ import annotations

import math
from typing import Mapping, Optional, Sequence


def _fmt(v: Optional[float]) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return 'n/a'
    return f'{100.0 * v:.2f}'


def render_ap_table(class_names: Sequence[str], columns: Mapping[str, Sequence[Optional[float]]],
                    title: str = '') -> str:
    """Rows per class, one column per AP kind (values in [0, 1] shown as percent; None/nan as n/a).

    Example: render_ap_table(['cat', 'dog'], {'AP': [0.5, 0.25]}) ->
        class    AP
        cat   50.00
        dog   25.00
    """
    names = list(class_names)
    w = max([len(n) for n in names] + [5])
    heads = list(columns)
    cw = [max(7, len(h)) for h in heads]
    lines = [title] if title else []
    lines.append('class'.ljust(w) + ''.join(' ' + h.rjust(c) for h, c in zip(heads, cw)))
    for i, n in enumerate(names):
        lines.append(n.ljust(w) + ''.join(' ' + _fmt(columns[h][i]).rjust(c)
                                          for h, c in zip(heads, cw)))
    return '\n'.join(lines)
