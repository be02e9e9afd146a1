"""Name patterns for `finetune_exclude_pretrained_params` and `freeze_params`.

Three kinds, chosen by the text so the seed document's table works as written:
- a regular expression when the pattern has regex syntax (`^ $ \\ [ ( ) + | { }`), searched in
  the full dotted name: `^conv2d_`, `head\\.retina_cls\\.\\d+`;
- a wildcard when it has `*` or `?`, matched against the *full* dotted name: `backbone.*`,
  `yolo_head.yolo_output.?.weight`;
- otherwise a dotted name matched at dot boundaries anywhere in the name: `yolo_head.yolo_output`
  matches `yolo_head.yolo_output.0.weight`, `yolo_output` matches it too, `bbox_score` does not
  match `bbox_score_x`.
A pattern that matches nothing is reported with the nearest names and, for the legacy names of
the seed table, the name it has in our models.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ppdet.checkpoint.report import PatternReport
from ppdet.core.errors import WeightsError, did_you_mean

__all__ = ['NamePattern', 'compile_patterns', 'LEGACY_NAMES', 'suggest_for', 'name_prefixes']

# Legacy (PaddleDetection 1.x / seed table) parameter names -> our names.
LEGACY_NAMES: Mapping[str, str] = {
    'cls_score': 'bbox_head.bbox_score',
    'bbox_pred': 'bbox_head.bbox_delta',
    'retnet_cls_pred_fpn': 'head.retina_cls',
    '^conv2d_': 'ssd_head.scores',
    'yolo_output': 'yolo_head.yolo_output',
}

_REGEX_CHARS = set('^$\\[]()+|{}')


@dataclass(frozen=True)
class NamePattern:
    """One compiled pattern; `origin` says who asked for it (user, class_layouts, mode)."""
    text: str
    kind: str  # 'regex' | 'wildcard' | 'name'
    regex: 're.Pattern[str]'
    origin: str = 'user'

    def matches(self, name: str) -> bool:
        return self.regex.search(name) is not None


def _compile_one(text: str, origin: str) -> NamePattern:
    if not isinstance(text, str) or not text:
        raise WeightsError(f'pattern {text!r} ({origin}): patterns must be non-empty strings')
    if any(c in _REGEX_CHARS for c in text):
        try:
            return NamePattern(text, 'regex', re.compile(text), origin)
        except re.error as e:
            raise WeightsError(f'pattern {text!r} ({origin}): not a valid regular expression '
                               f'({e}); escape special characters or use * / ? wildcards')
    if '*' in text or '?' in text:
        return NamePattern(text, 'wildcard', re.compile(fnmatch.translate(text)), origin)
    return NamePattern(text, 'name', re.compile(r'(?:^|\.)' + re.escape(text) + r'(?:\.|$)'),
                       origin)


def compile_patterns(texts: Optional[Iterable[str]], origin: str = 'user') -> List[NamePattern]:
    """Compile patterns; a single string is accepted as a one-item list (a common -o slip)."""
    if texts is None:
        return []
    if isinstance(texts, str):
        texts = [texts]
    return [_compile_one(t, origin) for t in texts]


def name_prefixes(names: Iterable[str]) -> List[str]:
    """All dotted prefixes of `names` (e.g. `a`, `a.b`, `a.b.weight`), for suggestions."""
    out = set()
    for n in names:
        parts = n.split('.')
        for i in range(1, len(parts) + 1):
            out.add('.'.join(parts[:i]))
    return sorted(out)


def suggest_for(pattern: NamePattern, prefixes: Sequence[str]) -> str:
    """Text for a pattern that matched nothing: legacy mapping and/or nearest names."""
    hints: List[str] = []
    legacy = LEGACY_NAMES.get(pattern.text)
    if legacy:
        present = legacy in prefixes
        hints.append(f"'{pattern.text}' is a legacy PaddleDetection name; ours is '{legacy}'"
                     + ('' if present else ' (not in this model)'))
    probe = pattern.text.strip('^$*?')
    near = did_you_mean(probe, prefixes, n=3, cutoff=0.5) if probe else ''
    if near:
        hints.append('nearest names' + near.replace(' (did you mean', '').rstrip(')'))
    return '; '.join(hints) if hints else 'no similar parameter names'


def match_all(patterns: Sequence[NamePattern], names: Sequence[str]
              ) -> Tuple[Dict[str, NamePattern], Dict[str, List[str]]]:
    """First matching pattern per name, and the names each pattern matched (in name order)."""
    first: Dict[str, NamePattern] = {}
    hits: Dict[str, List[str]] = {p.text: [] for p in patterns}
    for name in names:
        for p in patterns:
            if p.matches(name):
                hits[p.text].append(name)
                first.setdefault(name, p)
    return first, hits


def summarize_patterns(patterns: Sequence[NamePattern], hits: Mapping[str, Sequence[str]],
                    names: Sequence[str], origin: str, what: str
                    ) -> Tuple[List[PatternReport], List[str]]:
    """What each pattern matched, and a warning (with suggestions) for each that matched
    nothing — so no pattern can silently do nothing."""
    prefixes = name_prefixes(names)
    reports: List[PatternReport] = []
    warnings: List[str] = []
    for p in patterns:
        hit = tuple(hits[p.text])
        sugg = '' if hit else suggest_for(p, prefixes)
        if not hit:
            warnings.append(f"{what} pattern '{p.text}' matched nothing: {sugg}")
        reports.append(PatternReport(p.text, p.kind, origin, hit, sugg))
    return reports, warnings
