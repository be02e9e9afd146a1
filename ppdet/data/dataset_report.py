"""What `tools/check_dataset.py` does: build each dataset of a config, read its images, show
everything found in one pass, and end with a verdict that counts every problem (so scripts and
CI can gate on the exit status).

Problems (the check fails): a dataset that cannot be built, labels missing from the class list,
images refused (missing files, unparsable annotations), images that cannot be read, are
truncated or disagree with their annotated size, a dataset with no usable image. Repairs the
loader makes on its own (boxes clipped to the image, degenerate boxes dropped) are counted and
named too, as are polygon repairs (gt_poly); they fail the check only with `strict`.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, List, Mapping, Tuple

from ppdet.core.errors import PPDetError
from ppdet.core.toplevel import DATASET_SLOTS
from ppdet.data.image_integrity import verify_images
from ppdet.data.summary import DatasetSummary, plural, render_summary

__all__ = ['check_datasets', 'ProblemCount']


@dataclass
class ProblemCount:
    """Problems over all datasets of a config, each kind counted on its own."""
    not_built: int = 0
    unknown_labels: Counter = field(default_factory=Counter)  # label -> boxes
    unknown_files: int = 0
    refused: int = 0
    unreadable: int = 0
    unusable: int = 0
    repairs: Counter = field(default_factory=Counter)  # 'dropped' / 'clipped' -> boxes
    polygons_fixed: int = 0  # polygon parts clipped, left out or made from RLE / boxes

    def add(self, s: DatasetSummary) -> None:
        if s.unknown is not None:
            for label, files in s.unknown.boxes.items():
                self.unknown_labels[label] += sum(files.values())
                self.unknown_files += len(files)
        self.refused += len(s.refused)
        self.unreadable += len(s.problems)
        self.unusable += bool(s.unusable)
        self.repairs['dropped'] += s.num_dropped
        self.repairs['clipped'] += s.num_clipped
        self.polygons_fixed += s.num_polygon_fixes

    def problems(self, strict: bool) -> List[str]:
        """One phrase per kind of problem present, with its count."""
        out = []
        if self.not_built:
            out.append(f'{plural(self.not_built, "dataset")} cannot be built')
        if self.unknown_labels:
            boxes = sum(self.unknown_labels.values())
            out.append(f'{plural(len(self.unknown_labels), "unknown label")} '
                       f'({_boxes(boxes)} in '
                       f'{plural(self.unknown_files, "file")})')
        if self.refused:
            out.append(f'{plural(self.refused, "image")} refused (missing or unparsable)')
        if self.unreadable:
            out.append(f'{plural(self.unreadable, "image")} unreadable, truncated or of '
                       f'another size')
        if self.unusable:
            out.append(f'{plural(self.unusable, "dataset")} with no usable image')
        if strict:
            out += [f'{_boxes(n)} {what} (--strict)'
                    for what, n in self.repairs.items() if n]
            if self.polygons_fixed:
                out.append(f'{plural(self.polygons_fixed, "polygon")} fixed (--strict)')
        return out


def _boxes(n: int) -> str:
    return plural(n, 'box', 'boxes')


def _totals(summaries: List[DatasetSummary]) -> str:
    dropped: Counter = Counter()
    for s in summaries:
        dropped.update(s.dropped)
    why = ', '.join(f'{n} {r}' for r, n in dropped.most_common())
    return (f'all datasets: {plural(sum(s.images for s in summaries), "image")}, '
            f'{_boxes(sum(s.num_boxes for s in summaries))}; '
            f'{_boxes(sum(s.num_clipped for s in summaries))} clipped; '
            f'{_boxes(sum(dropped.values()))} dropped' + (f' ({why})' if why else '') +
            f'; {plural(sum(len(s.refused) for s in summaries), "image")} refused')


def _verdict(count: ProblemCount, strict: bool) -> Tuple[str, bool]:
    problems = count.problems(strict)
    if problems:
        return 'FAILED: ' + '; '.join(problems) + ' (each is listed above)', False
    repairs = [f'{_boxes(n)} {what}' for what, n in count.repairs.items() if n]
    if count.polygons_fixed:
        repairs.append(f'{plural(count.polygons_fixed, "polygon")} fixed')
    tail = ('; repaired by the loader: ' + ', '.join(repairs) + ' (--strict fails on these)'
            if repairs else '')
    return 'OK: nothing refused' + tail, True


def _build(slot: str, cfg: Mapping[str, Any], create: Callable[[str, Any], Any],
           verify: bool, decode: bool) -> DatasetSummary:
    ds = create(slot, cfg)
    ds.parse_dataset(keep_going=True)
    if verify:
        verify_images(ds, decode=decode)
    s = ds.summary
    s.name = f'[{slot}] {s.name}'
    return s


def check_datasets(cfg: Mapping[str, Any], create: Callable[[str, Any], Any],
                   verify: bool = True, decode: bool = False,
                   strict: bool = False) -> Tuple[str, bool]:
    """Return (report text, ok). Every dataset is built and read to the end, so the report lists
    all problems at once; ok is False when there is any (see the module docstring)."""
    slots = [s for s in DATASET_SLOTS if s in cfg]
    if not slots:
        return ('the config defines none of ' + ', '.join(DATASET_SLOTS), False)
    parts: List[str] = []
    built: List[DatasetSummary] = []
    count = ProblemCount()
    log = logging.getLogger('ppdet.data')
    old_level = log.level
    log.setLevel(logging.WARNING)  # the summaries are printed below, not logged twice
    try:
        for slot in slots:
            try:
                s = _build(slot, cfg, create, verify, decode)
            except PPDetError as e:
                parts.append(f'[{slot}] cannot be built:\n{e}')
                count.not_built += 1
                continue
            built.append(s)
            count.add(s)
            parts.append(render_summary(s))
    finally:
        log.setLevel(old_level)
    verdict, ok = _verdict(count, strict)
    return '\n\n'.join(parts + [_totals(built), verdict]), ok
