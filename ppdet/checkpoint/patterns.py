"""Name patterns for `finetune_exclude_pretrained_params` and `freeze_params`.

Three kinds, chosen by the text so the seed document's table works as written:
- a regular expression when the pattern has regex syntax (`^ $ \\ [ ( ) + | { }`), searched in
  the full dotted name: `^conv2d_`, `head\\.retina_cls\\.\\d+`;
- a wildcard when it has `*` or `?`, matched against the *full* dotted name: `backbone.*`,
  `yolo_head.yolo_output.?.weight`;
- otherwise a dotted name matched at dot boundaries anywhere in the name: `yolo_head.yolo_output`
  matches `yolo_head.yolo_output.0.weight`, `yolo_output` matches it too, `bbox_score` does not
  match `bbox_score_x`.
A legacy name of the transfer-learning guide (`cls_score`, `^conv2d_`, ...) that matches nothing
as written is resolved to the names it stands for *in this model* (`cls_score` ->
`bbox_head.bbox_score`, or `bbox_head.bbox_score_stage0..2` on Cascade R-CNN) and applied; the
report says what it resolved to. Any other pattern that matches nothing is reported with the
nearest names.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, replace
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ppdet.checkpoint.report import PatternReport
from ppdet.core.errors import WeightsError, did_you_mean

__all__ = ['NamePattern', 'compile_patterns', 'compile_for_model', 'LEGACY_NAMES',
           'suggest_for', 'name_prefixes', 'under_prefix', 'legacy_targets']

# Legacy (PaddleDetection 1.x / transfer-learning guide) names -> (our names, which models).
# Candidates are tried in order; every one the model has is used.
LEGACY_NAMES: Mapping[str, Tuple[Tuple[str, ...], str]] = {
    'cls_score': (('bbox_head.bbox_score', 'bbox_head.bbox_score_stage0',
                   'bbox_head.bbox_score_stage1', 'bbox_head.bbox_score_stage2'),
                  'Faster / Mask / Cascade R-CNN'),
    'bbox_pred': (('bbox_head.bbox_delta', 'bbox_head.bbox_delta_stage0',
                   'bbox_head.bbox_delta_stage1', 'bbox_head.bbox_delta_stage2'),
                  'Faster / Mask / Cascade R-CNN'),
    'mask_fcn_logits': (('mask_head.mask_fcn_logits',), 'Mask R-CNN'),
    'retnet_cls_pred_fpn': (('head.retina_cls',), 'RetinaNet'),
    '^conv2d_': (('ssd_head.scores',), 'SSD'),
    'yolo_output': (('yolo_head.yolo_output',), 'YOLOv3'),
}

_REGEX_CHARS = set('^$\\[]()+|{}')


@dataclass(frozen=True)
class NamePattern:
    """One compiled pattern; `origin` says who asked for it (user, class_layouts, mode)."""
    text: str
    kind: str  # 'regex' | 'wildcard' | 'name'
    regex: 're.Pattern[str]'
    origin: str = 'user'
    resolved: Tuple[str, ...] = ()  # a legacy name: the names of this model it stands for

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


def under_prefix(name: str, prefix: str) -> bool:
    """`name` lies under `prefix` at a dot boundary; a prefix ending in a letter also covers
    numbered siblings (`ssd_head.scores` covers `ssd_head.scores0.weight`)."""
    if name == prefix or name.startswith(prefix + '.'):
        return True
    if not (prefix[-1:].isalpha() and name.startswith(prefix)):
        return False
    return name[len(prefix):].split('.', 1)[0].isdigit()


def legacy_targets(text: str, names: Sequence[str]) -> Tuple[str, ...]:
    """Names of this model a legacy pattern stands for (empty when the model has none)."""
    entry = LEGACY_NAMES.get(text)
    if entry is None:
        return ()
    return tuple(c for c in entry[0] if any(under_prefix(n, c) for n in names))


def _prefix_regex(prefixes: Sequence[str]) -> 're.Pattern[str]':
    parts = [re.escape(p) + (r'\d*' if p[-1:].isalpha() else '') for p in prefixes]
    return re.compile(r'^(?:' + '|'.join(parts) + r')(?:\.|$)')


def compile_for_model(texts: Optional[Iterable[str]], origin: str,
                      names: Sequence[str]) -> List[NamePattern]:
    """Compile patterns; a legacy name that matches nothing in `names` as written is resolved to
    the names it stands for in this model (see the module docstring)."""
    out: List[NamePattern] = []
    for p in compile_patterns(texts, origin):
        targets = legacy_targets(p.text, names)
        if targets and not any(p.matches(n) for n in names):
            p = replace(p, kind='legacy', regex=_prefix_regex(targets), resolved=targets)
        out.append(p)
    return out


def name_prefixes(names: Iterable[str]) -> List[str]:
    """All dotted prefixes of `names` (e.g. `a`, `a.b`, `a.b.weight`), for suggestions."""
    out = set()
    for n in names:
        parts = n.split('.')
        for i in range(1, len(parts) + 1):
            out.add('.'.join(parts[:i]))
    return sorted(out)


def suggest_for(pattern: NamePattern, prefixes: Sequence[str]) -> str:
    """Text for a pattern that matched nothing: what a legacy name means, nearest names."""
    hints: List[str] = []
    entry = LEGACY_NAMES.get(pattern.text)
    if entry:
        ours = ' / '.join(entry[0][:2]) + (' ...' if len(entry[0]) > 2 else '')
        hints.append(f"'{pattern.text}' is a legacy PaddleDetection name for {ours} "
                     f'({entry[1]}); this model has no such layer')
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
        reports.append(PatternReport(p.text, p.kind, origin, hit, sugg, p.resolved))
    return reports, warnings
