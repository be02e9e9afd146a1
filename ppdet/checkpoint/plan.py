"""The per-tensor decisions of a load: one function, one order, one record per model tensor.

Precedence (the first rule that applies decides):
1. mode `classification` and not under the backbone -> excluded (mode);
2. a user pattern (`finetune_exclude_pretrained_params`) matches -> excluded (pattern P). What
   you write wins over every default, class-aware transfer included: a class-dependent layer you
   exclude starts fresh, and the class summary says so;
3. no checkpoint tensor -> missing. In a backbone-only checkpoint (an ImageNet classifier), whole
   backbone layers after the last one it fills (SSD's extra layers) are missing by design: they
   start fresh, are reported as such, and do not count against `require_full_backbone`;
4. class-dependent (declared in `class_layouts`) -> by class name (`class_plan`);
5. shapes differ -> shape mismatch (fresh; an error in `full`, or with
   `load_policy.allow_shape_mismatch: false`);
6. loaded.
"""
from __future__ import annotations

from typing import Dict, FrozenSet, List, Mapping, Sequence, Tuple

import numpy as np

from ppdet.checkpoint.class_plan import ClassContext, class_record
from ppdet.checkpoint.patterns import NamePattern
from ppdet.checkpoint.report import (EXCLUDED, LOADED, MISSING, SHAPE_MISMATCH, TensorRecord,
                                     short_shape)
from ppdet.modeling.class_layout import ClassLayout

__all__ = ['plan_records', 'backbone_extra_layers', 'BACKBONE_EXTRA', 'MODE_EXCLUDED']

BACKBONE_EXTRA = ('backbone layers after the last one this backbone-only checkpoint has '
                  '(detection extra layers, not part of a classifier)')
MODE_EXCLUDED = 'mode classification'


def backbone_extra_layers(names: Sequence[str], pairs: Mapping[str, str],
                          ckpt_keys: Sequence[str], backbone: str) -> FrozenSet[str]:
    """Model tensors of the backbone layers (`backbone.<layer>`) that follow the last layer a
    backbone-only checkpoint fills. A checkpoint holding any non-backbone module of the model
    (a detector) gets no such allowance: a layer it lacks is a real gap."""
    others = {n.split('.', 1)[0] for n in names} - {backbone}
    if any(k.split('.', 1)[0] in others for k in ckpt_keys):
        return frozenset()
    members: Dict[str, List[str]] = {}
    for n in names:
        parts = n.split('.')
        if parts[0] == backbone and len(parts) >= 3:
            members.setdefault(parts[1], []).append(n)
    order = list(members)
    filled = [i for i, layer in enumerate(order) if any(m in pairs for m in members[layer])]
    if not filled:
        return frozenset()
    return frozenset(m for layer in order[filled[-1] + 1:] for m in members[layer])


def plan_records(names: Sequence[str], shapes: Mapping[str, Tuple[int, ...]],
                 pairs: Mapping[str, str], ckpt: Mapping[str, np.ndarray], mode: str,
                 backbone: str, user_first: Mapping[str, NamePattern],
                 class_dep: Mapping[str, Tuple[str, ClassLayout]],
                 ctx: ClassContext) -> List[TensorRecord]:
    """One `TensorRecord` per model tensor, by the precedence of the module docstring."""
    extras = backbone_extra_layers(names, pairs, list(ckpt), backbone)
    records: List[TensorRecord] = []
    for n in names:
        shape, src, dep = shapes[n], pairs.get(n), n in class_dep
        sshape = tuple(int(d) for d in ckpt[src].shape) if src is not None else None
        if mode == 'classification' and not n.startswith(backbone + '.'):
            records.append(TensorRecord(n, EXCLUDED, shape, src, sshape, MODE_EXCLUDED,
                                        class_dependent=dep))
        elif n in user_first:
            records.append(TensorRecord(n, EXCLUDED, shape, src, sshape,
                                        f"pattern '{user_first[n].text}'", class_dependent=dep))
        elif src is None or sshape is None:
            records.append(TensorRecord(n, MISSING, shape,
                                        reason=BACKBONE_EXTRA if n in extras else '',
                                        class_dependent=dep))
        elif dep:
            records.append(class_record(n, shape, src, sshape, class_dep[n][1], ctx))
        elif sshape != shape:
            records.append(TensorRecord(n, SHAPE_MISMATCH, shape, src, sshape,
                                        f'{short_shape(sshape)} != {short_shape(shape)}'))
        else:
            records.append(TensorRecord(n, LOADED, shape, src, sshape))
    return records
