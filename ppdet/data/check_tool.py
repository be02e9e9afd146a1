"""What `tools/check_dataset.py` does: build a config's datasets, show each summary, and say
whether anything was refused (so scripts and CI can gate on the exit status)."""
from __future__ import annotations

import logging
from collections import Counter
from typing import Any, Callable, List, Mapping, Tuple

from ppdet.core.errors import PPDetError
from ppdet.data.summary import render_summary
from ppdet.data.verify import verify_images

__all__ = ['check_datasets', 'DATASET_SLOTS']

DATASET_SLOTS = ('TrainDataset', 'EvalDataset', 'TestDataset')


def _totals(summaries: List[Any]) -> str:
    dropped: Counter = Counter()
    for s in summaries:
        dropped.update(s.dropped)
    why = ', '.join(f'{n} {r}' for r, n in dropped.most_common())
    return (f'all datasets: {sum(s.images for s in summaries)} images, '
            f'{sum(s.num_boxes for s in summaries)} boxes; '
            f'{sum(s.num_clipped for s in summaries)} boxes clipped; '
            f'{sum(dropped.values())} boxes dropped' + (f' ({why})' if why else '') +
            f'; {sum(len(s.refused) for s in summaries)} images refused')


def check_datasets(cfg: Mapping[str, Any], create: Callable[[str, Any], Any],
                   verify: bool = True, decode: bool = False) -> Tuple[str, bool]:
    """Return (report text, ok). ok is False when any image was refused or has a problem,
    or a dataset could not be built (its error is part of the report)."""
    parts: List[str] = []
    ok = True
    built: List[Any] = []
    slots = [s for s in DATASET_SLOTS if s in cfg]
    if not slots:
        return ('the config defines none of ' + ', '.join(DATASET_SLOTS), False)
    log = logging.getLogger('ppdet.data')
    old_level = log.level
    log.setLevel(logging.WARNING)  # the summaries are printed below, not logged twice
    try:
        for slot in slots:
            try:
                ds = create(slot, cfg)
                ds.parse_dataset()
                if verify:
                    verify_images(ds, decode=decode)
            except PPDetError as e:
                parts.append(f'[{slot}] cannot be built:\n{e}')
                ok = False
                continue
            s = ds.summary
            built.append(s)
            s.name = f'[{slot}] {s.name}'
            parts.append(render_summary(s))
            if s.refused or s.problems:
                ok = False
    finally:
        log.setLevel(old_level)
    parts.append(_totals(built))
    verdict = 'OK: nothing refused' if ok else 'FAILED: see refused images / errors above'
    return '\n\n'.join(parts + [verdict]), ok
