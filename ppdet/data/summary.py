"""What a dataset build found: counts a user and a test can read, and a one-screen rendering.

Nothing a dataset fixes or refuses is silent: every clipped box, dropped box, refused image and
empty image is counted here, with reasons and example files, so `tools/check_dataset.py` and the
training log show exactly what the data looked like.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

__all__ = ['DatasetSummary', 'UnknownLabels', 'render_summary', 'plural']

MAX_EXAMPLES = 3  # example files kept per reason; enough to find the problem, short on screen


def plural(n: int, one: str, many: str = '') -> str:
    """'1 box', '3 boxes': a count with its noun, so messages never say 'file(s)'."""
    return f'{n} {one if n == 1 else (many or one + "s")}'


@dataclass
class UnknownLabels:
    """Boxes whose label is not in the dataset's class list, counted per label and per file.

    Training cannot use such a dataset (the label has no class index), but a checker wants every
    one of them at once, with boxes and files counted separately: one file with three 'grape'
    boxes is "3 boxes in 1 file", not three files. `label` keys are shown as they are
    ("'grape'", "category_id 7"); `container` names what holds the boxes (XML 'file', COCO
    'image'); `missing_from` and `remedy` complete the message.
    """
    kind: str
    missing_from: str
    remedy: str
    container: str = 'file'
    separator: str = ':'
    boxes: Dict[str, Counter] = field(default_factory=dict)

    def add(self, label: str, path: str) -> None:
        self.boxes.setdefault(label, Counter())[path] += 1

    @property
    def num_boxes(self) -> int:
        return sum(sum(c.values()) for c in self.boxes.values())

    def lines(self, indent: str = '  ') -> List[str]:
        """One line per label: "'grape': 3 boxes in 1 file: a.xml" (first files named)."""
        out = []
        for label, files in sorted(self.boxes.items()):
            names = list(files)
            shown = ', '.join(names[:MAX_EXAMPLES])
            if len(names) > MAX_EXAMPLES:
                shown += f' (+{len(names) - MAX_EXAMPLES} more)'
            out.append(f'{indent}{label}{self.separator} '
                       f'{plural(sum(files.values()), "box", "boxes")} in '
                       f'{plural(len(names), self.container)}: {shown}')
        return out

    def message(self, where: str) -> str:
        """The error training raises: every unknown label, then what to do."""
        head = (f'{where}: {plural(len(self.boxes), self.kind)} not in {self.missing_from} '
                f'({plural(self.num_boxes, "box", "boxes")}):')
        return '\n'.join([head] + self.lines() + [self.remedy])


@dataclass
class DatasetSummary:
    """Structured counts of one dataset build.

    `dropped` and `clipped` count boxes by reason; `refused` lists images that are not used at
    all, with the reason; `fixes` count per-image repairs (e.g. size read from the image because
    the annotation said 0); `polygon_fixes` count repaired or left-out polygon parts of objects
    that stay (an object losing all its polygons is a dropped box). `examples` keeps a few
    files per reason. `polygons` / `objects_with_polygons` are set when gt_poly is loaded.
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
    polygon_fixes: Counter = field(default_factory=Counter)
    polygons: Optional[int] = None  # None: gt_poly not loaded
    objects_with_polygons: int = 0
    refused: List[Tuple[str, str]] = field(default_factory=list)
    problems: List[Tuple[str, str]] = field(default_factory=list)  # from verify_images
    unknown: Optional[UnknownLabels] = None  # boxes whose label is not in the class list
    unusable: str = ''  # why training cannot use the dataset at all; '' when it can
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

    def fix_polygon(self, reason: str, path: str, n: int = 1) -> None:
        self.polygon_fixes[reason] += n
        self.add_example(reason, path)

    @property
    def num_polygon_fixes(self) -> int:
        return sum(self.polygon_fixes.values())

    def refuse(self, path: str, reason: str) -> None:
        self.refused.append((path, reason))

    @property
    def num_unknown_boxes(self) -> int:
        return self.unknown.num_boxes if self.unknown is not None else 0


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
        lines += [f'  NOT USABLE: {s.unusable}'] if s.unusable else []
        return '\n'.join(lines)
    lines.append(f'  boxes          {s.num_boxes:>6}   (crowd: {s.crowd_boxes}, '
                 f'difficult: {s.difficult_boxes})')
    lines.append(f'  classes        {len(s.class_names):>6}   ' + ', '.join(s.class_names))
    if s.boxes_per_class:
        name_w = max(len(n) for n in s.boxes_per_class)
        for name in s.class_names:
            lines.append(f'    {name:<{name_w}} {s.boxes_per_class.get(name, 0):>8}')
    if s.num_unknown_boxes:
        u = s.unknown
        lines.append(f'  unknown labels {len(u.boxes):>6}   ({plural(u.num_boxes, "box", "boxes")} '
                     f'left out: not in {u.missing_from})')
        lines += u.lines('    ')
    if s.polygons is not None:
        lines.append(f'  polygons       {s.polygons:>6}   (in {s.objects_with_polygons} objects; '
                     f'gt_poly loaded)')
    lines.append(f'  boxes clipped  {s.num_clipped:>6}')
    lines += _reason_lines(s.clipped, s.examples, '    ')
    lines.append(f'  boxes dropped  {s.num_dropped:>6}')
    lines += _reason_lines(s.dropped, s.examples, '    ')
    if s.polygons is not None or s.polygon_fixes:
        lines.append(f'  polygons fixed {s.num_polygon_fixes:>6}')
        lines += _reason_lines(s.polygon_fixes, s.examples, '    ')
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
    if s.unusable:
        lines.append(f'  NOT USABLE: {s.unusable}')
    return '\n'.join(lines)
