"""Text rendering of `LoadReport` / `FreezeReport`: a compact table, never one line per tensor.

Coverage is shown per top-level module (backbone, neck, heads) in tensors and parameters; the
tensors that were *not* simply loaded are listed grouped by parent module and reason
(`yolo_head.yolo_output.{0,1,2}.{weight,bias}`-style), so thousands of tensors still fit a
screen.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Dict, Iterable, List, Tuple

from ppdet.checkpoint.report import (EXCLUDED, LOADED, MISSING, SHAPE_MISMATCH, TRANSFERRED,
                                     FreezeReport, LoadReport, PatternReport, TensorRecord)

__all__ = ['render_load_report', 'render_freeze_report', 'group_names']


def _fmt_num(n: int) -> str:
    if n >= 1e6:
        return f'{n / 1e6:.2f}M'
    if n >= 1e3:
        return f'{n / 1e3:.1f}K'
    return str(n)


def group_names(names: Iterable[str], limit: int = 10) -> List[str]:
    """Collapse names sharing a parent: a.b.0.weight, a.b.0.bias -> a.b.0.{weight,bias}; then
    a.b.0.{..}, a.b.1.{..} -> a.b.{0,1}.{..}."""
    names_list = list(names)
    groups: 'OrderedDict[str, List[str]]' = OrderedDict()
    for n in names_list:
        parent, _, leaf = n.rpartition('.')
        groups.setdefault(parent, []).append(leaf)
    items = [(p, '{' + ','.join(ls) + '}' if len(ls) > 1 else ls[0]) for p, ls in groups.items()]
    second: 'OrderedDict[Tuple[str, str], List[str]]' = OrderedDict()
    for p, leaf in items:
        gp, _, last = p.rpartition('.')
        second.setdefault((gp, leaf), []).append(last)
    out = []
    for (gp, leaf), lasts in second.items():
        mid = '{' + ','.join(lasts) + '}' if len(lasts) > 1 else lasts[0]
        out.append('.'.join(x for x in (gp, mid, leaf) if x))
    if len(out) > limit:  # still long: count per two-segment module instead
        counts: 'OrderedDict[str, int]' = OrderedDict()
        for n in names_list:
            key = '.'.join(n.split('.')[:2])
            counts[key] = counts.get(key, 0) + 1
        out = [f'{k}.* ({v} tensors)' if v > 1 or k not in names_list else k
               for k, v in counts.items()]
        if len(out) > limit:
            out = out[:limit] + [f'... and {len(out) - limit} more groups']
    return out


def _coverage_table(report: LoadReport) -> List[str]:
    head = (f"{'module':<18}{'tensors':>9}{'loaded':>8}{'by-class':>9}{'excluded':>9}"
            f"{'shape≠':>8}{'missing':>8}  {'params restored':>24}")
    lines = [head, '-' * len(head)]
    tot: Dict[str, int] = {'t': 0, 'n': 0, 'r': 0}
    tot_s: Dict[str, int] = {}
    for cov in report.coverage():
        s = cov.by_status
        pct = 100.0 * cov.numel_restored / cov.numel if cov.numel else 100.0
        lines.append(f'{cov.module:<18}{cov.tensors:>9}{s[LOADED]:>8}{s[TRANSFERRED]:>9}'
                     f'{s[EXCLUDED]:>9}{s[SHAPE_MISMATCH]:>8}{s[MISSING]:>8}  '
                     f'{_fmt_num(cov.numel_restored) + "/" + _fmt_num(cov.numel):>17}'
                     f' {pct:5.1f}%')
        tot['t'] += cov.tensors
        tot['n'] += cov.numel
        tot['r'] += cov.numel_restored
        for k, v in s.items():
            tot_s[k] = tot_s.get(k, 0) + v
    pct = 100.0 * tot['r'] / tot['n'] if tot['n'] else 100.0
    lines.append('-' * len(head))
    lines.append(f"{'total':<18}{tot['t']:>9}{tot_s.get(LOADED, 0):>8}"
                 f"{tot_s.get(TRANSFERRED, 0):>9}{tot_s.get(EXCLUDED, 0):>9}"
                 f"{tot_s.get(SHAPE_MISMATCH, 0):>8}{tot_s.get(MISSING, 0):>8}  "
                 f"{_fmt_num(tot['r']) + '/' + _fmt_num(tot['n']):>17} {pct:5.1f}%")
    return lines


def _not_loaded(report: LoadReport) -> List[str]:
    buckets: 'OrderedDict[Tuple[str, str], List[TensorRecord]]' = OrderedDict()
    for r in report.records:
        if r.status != LOADED:
            key = (r.status, r.reason if r.status != SHAPE_MISMATCH else 'shape')
            buckets.setdefault(key, []).append(r)
    lines = []
    for (status, reason), recs in buckets.items():
        label = {TRANSFERRED: 'transferred by class', EXCLUDED: 'excluded',
                 SHAPE_MISMATCH: 'shape mismatch, kept fresh',
                 MISSING: 'missing from checkpoint, kept fresh'}[status]
        why = f' — {reason}' if reason and status != SHAPE_MISMATCH else ''
        lines.append(f'  {label}{why} ({len(recs)}):')
        if status == SHAPE_MISMATCH:
            shown = [f'{r.name} {r.reason}' for r in recs[:8]]
            shown += [f'... and {len(recs) - 8} more'] if len(recs) > 8 else []
        else:
            shown = group_names([r.name for r in recs])
        lines.extend('      ' + s for s in shown)
    return lines


def _pattern_text(p: PatternReport) -> str:
    """`'neck.*'`, or for a resolved legacy name `cls_score -> bbox_head.bbox_score (legacy
    name)`."""
    if p.resolved:
        return f"{p.pattern} -> {', '.join(p.resolved)} (legacy name)"
    return repr(p.pattern)


def render_load_report(report: LoadReport) -> str:
    """The report as text for the run log: header, class policy, coverage, exceptions."""
    c = report.classes
    state = 'applied' if report.applied else 'plan only, nothing written'
    out = [f'Weights: {report.source}',
           f'  mode={report.mode}  matching={report.matching}  '
           f'{report.seconds:.3f}s  ({state})']
    src = f'{len(c.source_names)} classes' if c.source_names else 'unknown'
    tgt = f'{len(c.target_names)} classes' if c.target_names else 'not given'
    out.append(f'  classes: checkpoint {src} ({c.source_policy}); model {tgt}')
    dep = sum(1 for r in report.records if r.class_dependent)
    if c.note:
        out.append(f'  class-dependent layers ({dep} tensors): {c.note}')
    if c.tensors_transferred:  # only what was actually copied, never what could have been
        kept = ', '.join(f'{n}<-{si}' for n, _, si in c.kept[:12])
        more = f' (+{len(c.kept) - 12})' if len(c.kept) > 12 else ''
        out.append(f'    kept (target <- checkpoint index): {kept}{more}')
        if c.new:
            out.append(f"    new (fresh init): {', '.join(c.new[:12])}")
    out.append('')
    out.extend(_coverage_table(report))
    rest = _not_loaded(report)
    if rest:
        out.append('')
        out.append('Not loaded as is:')
        out.extend(rest)
    if report.unused:
        out.append('')
        out.append(f'Unused in checkpoint ({len(report.unused)}):')
        out.extend('      ' + s for s in group_names([n for n, _ in report.unused]))
    pats = [p for p in report.patterns]
    if pats:
        out.append('')
        out.append('Patterns:')
        for p in pats:
            res = f'{len(p.matched)} tensors' if p.matched else f'matched NOTHING — {p.suggestion}'
            out.append(f'  {p.origin:<14}{_pattern_text(p):<32} {res}')
    for w in report.warnings:
        out.append(f'warning: {w}')
    return '\n'.join(out)


def render_freeze_report(report: FreezeReport) -> str:
    out = [f'Frozen: {len(report.frozen)} tensors ({_fmt_num(report.frozen_numel)} params), '
           f'trainable: {len(report.trainable)} ({_fmt_num(report.trainable_numel)}); '
           f'{len(report.frozen_norm_layers)} BatchNorm layers kept in eval mode']
    for p in report.patterns:
        res = f'{len(p.matched)} tensors' if p.matched else f'matched NOTHING — {p.suggestion}'
        out.append(f'  {_pattern_text(p):<32} {res}')
    for w in report.warnings:
        out.append(f'warning: {w}')
    return '\n'.join(out)
