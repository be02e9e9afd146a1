"""The validation report of a conversion: what went in, what came out, what changed and why.

It is a plain object (code and tests assert on it) with two renderings: `to_dict()` for the
JSON written beside the output and `render()` for the terminal. Every issue a parser raised is
kept with its file and reason; counts are by level and by kind.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List

from ppdet.convert.records import Issue

_PLACED = {'hardlink': 'hard-linked', 'reflink': 'cloned (reflink)', 'copy': 'copied',
           'symlink': 'symlinked', 'present': 'already in place', 'written': 'written from imageData'}
_PLACED_NOTE = {
    'hardlink': 'hard links share storage with the sources: editing one in place edits both; '
                '--place_images copy gives independent files',
    'symlink': 'symbolic links break when the sources move or are deleted'}


def placement_line(placement: Counter) -> str:
    """'images: 8000 hard-linked, 2000 copied (note)': how the images reached the output."""
    parts = [f'{n} {_PLACED.get(how, how)}' for how, n in placement.most_common()]
    notes = [_PLACED_NOTE[how] for how in placement if how in _PLACED_NOTE]
    return 'images: ' + ', '.join(parts) + (f' ({"; ".join(notes)})' if notes else '')


@dataclass
class SplitStats:
    """Per-split totals as written to the COCO file."""
    images: int = 0
    annotations: int = 0
    crowd: int = 0
    difficult: int = 0
    per_category: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {'images': self.images, 'annotations': self.annotations, 'crowd': self.crowd,
                'difficult': self.difficult,
                'per_category': dict(sorted(self.per_category.items()))}


@dataclass
class ConversionReport:
    """Outcome of one `convert()` call. `ok` is False on errors (or warnings under strict)."""
    dataset_type: str
    strict: bool = False
    source_files: int = 0
    categories: List[str] = field(default_factory=list)
    category_source: str = ''
    splits: Dict[str, SplitStats] = field(default_factory=dict)
    outputs: Dict[str, str] = field(default_factory=dict)
    issues: List[Issue] = field(default_factory=list)
    duplicates: Dict[str, List] = field(default_factory=dict)
    seed: int = 0
    report_path: str = ''
    placement: Counter = field(default_factory=Counter)  # how images reached the output

    def add(self, level: str, kind: str, file: str, reason: str) -> None:
        self.issues.append(Issue(level, kind, file, reason))

    def count(self, level: str) -> int:
        return sum(1 for i in self.issues if i.level == level)

    def kinds(self) -> Dict[str, Dict[str, int]]:
        """{kind: {level: n}} over all issues."""
        out: Dict[str, Counter] = {}
        for i in self.issues:
            out.setdefault(i.kind, Counter())[i.level] += 1
        return {k: dict(v) for k, v in sorted(out.items())}

    @property
    def failures(self) -> int:
        """Issues that fail the run: errors, plus warnings when strict."""
        return self.count('error') + (self.count('warning') if self.strict else 0)

    @property
    def ok(self) -> bool:
        return self.failures == 0

    @property
    def exit_code(self) -> int:
        """0 when ok, 1 when the conversion finished with failures (output still written)."""
        return 0 if self.ok else 1

    def to_dict(self) -> dict:
        return {
            'dataset_type': self.dataset_type, 'status': 'ok' if self.ok else 'failed',
            'strict': self.strict, 'seed': self.seed, 'source_files': self.source_files,
            'categories': [{'id': i + 1, 'name': n} for i, n in enumerate(self.categories)],
            'category_source': self.category_source,
            'outputs': dict(self.outputs),
            'splits': {k: v.as_dict() for k, v in self.splits.items()},
            'counts': {lvl: self.count(lvl) for lvl in ('error', 'warning', 'info')},
            'kinds': self.kinds(), 'duplicates': dict(self.duplicates),
            'images_placed': dict(self.placement),
            'issues': [i.as_dict() for i in self.issues],
        }

    def render(self, max_issues: int = 25) -> str:
        """Terminal summary: category x split table, counts by kind, the first issues by level."""
        lines = [f'x2coco ({self.dataset_type}): {self.source_files} source files, '
                 f'{len(self.categories)} categories ({self.category_source})']
        names = list(self.splits)
        width = max([len(c) for c in self.categories] + [11])
        cols = [max(8, len(n)) + 2 for n in names]
        lines.append('  ' + 'category'.ljust(width) + ''.join(
            n.rjust(w) for n, w in zip(names, cols)))
        for c in self.categories:
            lines.append('  ' + c.ljust(width) + ''.join(
                str(self.splits[n].per_category.get(c, 0)).rjust(w) for n, w in zip(names, cols)))
        for key in ('annotations', 'images', 'crowd', 'difficult'):
            lines.append('  ' + key.ljust(width) + ''.join(
                str(getattr(self.splits[n], key)).rjust(w) for n, w in zip(names, cols)))
        for n, path in self.outputs.items():
            lines.append(f'  wrote {n}: {path}')
        if self.placement:
            lines.append('  ' + placement_line(self.placement))
        kinds = self.kinds()
        if kinds:
            lines.append('  issues by kind: ' + ', '.join(
                f'{k} ' + '/'.join(f'{v} {lvl}' for lvl, v in levels.items())
                for k, levels in kinds.items()))
        dups = {k: v for k, v in self.duplicates.items() if v}
        if dups:
            lines.append(f'  duplicates: {dups}')
        shown = 0
        for level in ('error', 'warning', 'info'):
            for i in self.issues:
                if i.level == level and shown < max_issues:
                    lines.append(f'  {level}: {i.file}: [{i.kind}] {i.reason}')
                    shown += 1
        if len(self.issues) > shown:
            lines.append(f'  ... {len(self.issues) - shown} more issues in '
                         f'{self.report_path or "the JSON report"}')
        status = 'OK' if self.ok else 'FAILED'
        lines.append(f'{status}: {self.count("error")} errors, {self.count("warning")} warnings'
                     f'{" (strict: warnings fail)" if self.strict else ""}, '
                     f'{self.count("info")} notes'
                     + (f'; report: {self.report_path}' if self.report_path else ''))
        return '\n'.join(lines)
