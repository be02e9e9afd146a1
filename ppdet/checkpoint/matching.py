"""Pair model state-dict names with checkpoint names.

Exact names first. ImageNet backbone checkpoints of the zoo carry names without the
`backbone.` prefix (`conv1.weight` for the model's `backbone.conv1.weight`); for those we match
by dot-boundary suffix. The suffix pass is used only when the checkpoint looks backbone-only
(fewer than half its tensors match exactly), so a detection checkpoint is never rewired by
accident. It indexes every dot-boundary suffix of the unmatched model names once
(O(total name segments)), so there is no model x checkpoint double loop. A checkpoint name goes
to the model name with the fewest extra leading segments (`conv0.w` -> `backbone.conv0.w`, not
`neck.block.0.conv0.w`); two equally close candidates are an error naming both.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Sequence

from ppdet.core.errors import WeightsError

__all__ = ['NameMatch', 'match_names']


@dataclass(frozen=True)
class NameMatch:
    """model name -> checkpoint name, and how the pairs were found."""
    pairs: Dict[str, str]
    strategy: str  # 'exact' | 'exact+suffix'
    num_exact: int
    num_suffix: int


def match_names(model_names: Sequence[str], ckpt_names: Sequence[str],
                source: str = '<checkpoint>', allow_suffix: bool = True) -> NameMatch:
    """Match names; see the module docstring for the rules."""
    ckpt_set = set(ckpt_names)
    pairs: Dict[str, str] = {m: m for m in model_names if m in ckpt_set}
    num_exact = len(pairs)
    if not allow_suffix or not ckpt_names or num_exact * 2 >= len(ckpt_names):
        return NameMatch(pairs, 'exact', num_exact, 0)

    leftover_ckpt = ckpt_set.difference(pairs.values())
    # suffix -> model names having it; only for model names still unmatched.
    by_suffix: Dict[str, List[str]] = {}
    for m in model_names:
        if m in pairs:
            continue
        parts = m.split('.')
        for i in range(1, len(parts)):
            by_suffix.setdefault('.'.join(parts[i:]), []).append(m)

    # Each checkpoint name goes to the candidate with the fewest extra leading segments
    # (`backbone.conv0.x` beats `neck.block.0.conv0.x` for `conv0.x`); a tie is ambiguous.
    best: Dict[str, str] = {}
    for c in sorted(leftover_ckpt):
        cands = by_suffix.get(c)
        if not cands:
            continue
        depth = c.count('.')
        ranked = sorted(cands, key=lambda m: (m.count('.') - depth, m))
        if len(ranked) > 1 and ranked[0].count('.') == ranked[1].count('.'):
            raise WeightsError(
                f"{source}: checkpoint tensor '{c}' matches more than one model tensor by "
                f"suffix: '{ranked[0]}' and '{ranked[1]}'; rename the checkpoint keys (e.g. add "
                'the backbone. prefix) or exclude one of them')
        m = ranked[0]
        prev = best.get(m)
        if prev is None or len(c) > len(prev):  # the most specific checkpoint name wins
            best[m] = c
    pairs.update(best)
    strategy = 'exact+suffix' if best else 'exact'
    return NameMatch(pairs, strategy, num_exact, len(best))
