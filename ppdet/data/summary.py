"""What a dataset build found: counts a user and a test can read, and a one-screen rendering.

Nothing a dataset fixes or refuses is silent: every clipped box, dropped box, refused image and
empty image is counted here, with reasons and example files, so `tools/check_dataset.py` and the
training log show exactly what the data looked like.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

__all__ = ['DatasetSummary', 'render_summary']

MAX_EXAMPLES = 3  # example files kept per reason; enough to find the problem, short on screen


@dataclass
class DatasetSummary:
    """Structured counts of one dataset build.

    `dropped` and `clipped` count boxes by reason; `refused` lists images that are not used at
    all, with the reason; `fixes` count per-image repairs (e.g. size read from the image because
    the annotation said 0). `examples` keeps a few files per reason.
    """
    name: str = ''
    source: str = ''
    class_names: List[str] = field(default_factory=list)
    images: int = 0
    empty_images: int = 0
    empty_images_unused: int = 0
    boxes_per_class: Dict[str, int] = field(default_factory=dict)
    crowd_boxes: int = 0
    difficult_boxes: int = 0
    clipped: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    fixes: Counter = field(default_factory=Counter)
    refused: List[Tuple[str, str]] = field(default_factory=list)
    problems: List[Tuple[str, str]] = field(default_factory=list)  # from verify_images
    examples: Dict[str, List[str]] = field(default_factory=dict)
    notes: List[str] = field(default_factory=list)
    annotated: bool = True  # False for ImageFolder: no boxes to count

    @property
    def num_boxes(self) -> int:
        return sum(self.boxes_per_class.values())

    @property
    def num_clipped(self) -> int:
        return sum(self.clipped.values())

    @property
    def num_dropped(self) -> int:
        return sum(self.dropped.values())

    def add_example(self, reason: str, path: str) -> None:
        files = self.examples.setdefault(reason, [])
        if len(files) < MAX_EXAMPLES and path not in files:
            files.append(path)

    def clip(self, reason: str, path: str, n: int = 1) -> None:
        self.clipped[reason] += n
        self.add_example(reason, path)

    def drop(self, reason: str, path: str, n: int = 1) -> None:
        self.dropped[reason] += n
        self.add_example(reason, path)

    def fix(self, reason: str, path: str) -> None:
        self.fixes[reason] += 1
        self.add_example(reason, path)

    def refuse(self, path: str, reason: str) -> None:
        self.refused.append((path, reason))


def _reason_lines(counter: Counter, examples: Dict[str, List[str]], indent: str) -> List[str]:
    lines = []
    for reason, n in counter.most_common():
        ex = examples.get(reason, [])
        more = f' (e.g. {", ".join(ex)})' if ex else ''
        lines.append(f'{indent}{n:>6}  {reason}{more}')
    return lines


def render_summary(s: DatasetSummary, max_refused: int = 10,
                   width_hint: Optional[int] = None) -> str:
    """Render `s` as one screen of text: totals, boxes per class, then every problem category."""
    title = f'{s.name or "dataset"}: {s.source}'.rstrip(': ')
    lines = [title, '-' * min(len(title), width_hint or 78)]
    lines.append(f'  images used    {s.images:>6}   (without boxes: {s.empty_images}'
                 + (f', not used by empty_ratio: {s.empty_images_unused}'
                    if s.empty_images_unused else '') + ')')
    if not s.annotated:
        lines[2] = f'  images         {s.images:>6}'
        lines.append(f'  classes        {len(s.class_names):>6}   ' + ', '.join(s.class_names))
        lines.append(f'  images refused {len(s.refused):>6}')
        lines += [f'    {p}: {r}' for p, r in s.refused[:max_refused]]
        lines += [f'  note: {n}' for n in s.notes]
        return '\n'.join(lines)
    lines.append(f'  boxes          {s.num_boxes:>6}   (crowd: {s.crowd_boxes}, '
                 f'difficult: {s.difficult_boxes})')
    lines.append(f'  classes        {len(s.class_names):>6}   ' + ', '.join(s.class_names))
    if s.boxes_per_class:
        name_w = max(len(n) for n in s.boxes_per_class)
        for name in s.class_names:
            lines.append(f'    {name:<{name_w}} {s.boxes_per_class.get(name, 0):>8}')
    lines.append(f'  boxes clipped  {s.num_clipped:>6}')
    lines += _reason_lines(s.clipped, s.examples, '    ')
    lines.append(f'  boxes dropped  {s.num_dropped:>6}')
    lines += _reason_lines(s.dropped, s.examples, '    ')
    if s.fixes:
        lines.append(f'  images fixed   {sum(s.fixes.values()):>6}')
        lines += _reason_lines(s.fixes, s.examples, '    ')
    lines.append(f'  images refused {len(s.refused):>6}')
    for path, reason in s.refused[:max_refused]:
        lines.append(f'    {path}: {reason}')
    if len(s.refused) > max_refused:
        lines.append(f'    ... and {len(s.refused) - max_refused} more')
    if s.problems:
        lines.append(f'  images with problems {len(s.problems):>3}   (found by verifying the files)')
        for path, reason in s.problems[:max_refused]:
            lines.append(f'    {path}: {reason}')
        if len(s.problems) > max_refused:
            lines.append(f'    ... and {len(s.problems) - max_refused} more')
    for note in s.notes:
        lines.append(f'  note: {note}')
    return '\n'.join(lines)
