"""The structured result of loading weights: what happens to every tensor, and why.

A `LoadReport` is the load *plan*: it is computed once, then the loader applies exactly its
records (a `loaded` record names the checkpoint tensor it copies, a `transferred` one carries
its channel map) and the renderer prints the same records — so what is printed is what is done.
Code asserts on it (`report.missing_keys`, `report.by_status('loaded')`); people read its
rendering (`render.render_load_report`). Nothing here prints.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ['LOADED', 'TRANSFERRED', 'EXCLUDED', 'SHAPE_MISMATCH', 'MISSING', 'STATUSES',
           'TensorRecord', 'PatternReport', 'ClassTransfer', 'ModuleCoverage', 'LoadReport',
           'LoadPolicy', 'FreezeReport']

LOADED = 'loaded'                  # copied from the checkpoint as is
TRANSFERRED = 'transferred'        # class-aware: rows of kept classes copied, new ones fresh
EXCLUDED = 'excluded'              # by a pattern, the mode, or class policy (see `reason`)
SHAPE_MISMATCH = 'shape_mismatch'  # checkpoint shape differs; kept fresh
MISSING = 'missing'                # nothing in the checkpoint for this model tensor
STATUSES = (LOADED, TRANSFERRED, EXCLUDED, SHAPE_MISMATCH, MISSING)
Shape = Tuple[int, ...]


@dataclass(frozen=True)
class TensorRecord:
    """Fate of one model tensor."""
    name: str
    status: str
    shape: Shape
    source_name: Optional[str] = None
    source_shape: Optional[Shape] = None
    reason: str = ''
    restored_numel: Optional[int] = None  # for `transferred`: values copied (rest is fresh)
    class_dependent: bool = False         # under a prefix the architecture's class_layouts declare
    # for `transferred`: the channel map (`head_transfer.TransferPlan`) the loader applies
    transfer: Optional[Any] = field(default=None, compare=False, repr=False)

    @property
    def fully_restored(self) -> bool:
        """Every value of the tensor comes from the checkpoint."""
        if self.status == LOADED:
            return True
        return self.status == TRANSFERRED and self.restored_numel == self.numel

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= int(d)
        return n

    @property
    def module(self) -> str:
        """Top-level module (`backbone`, `neck`, `yolo_head`, ...)."""
        return self.name.split('.', 1)[0]


@dataclass(frozen=True)
class PatternReport:
    """What one exclude/freeze pattern matched."""
    pattern: str
    kind: str
    origin: str
    matched: Tuple[str, ...]
    suggestion: str = ''
    resolved: Tuple[str, ...] = ()  # a legacy name: the names of this model it stood for


@dataclass(frozen=True)
class ClassTransfer:
    """Class-aware head transfer: which target classes came from which source classes.

    Names match case-insensitively. `note` and `tensors_transferred` are computed from the
    tensor records after every decision (patterns included), so they say what was done.
    """
    source_names: Optional[Tuple[str, ...]]
    target_names: Optional[Tuple[str, ...]]
    source_policy: str
    enabled: bool
    kept: Tuple[Tuple[str, int, int], ...] = ()   # (class name, target index, source index)
    new: Tuple[str, ...] = ()                     # target classes that start fresh
    same_classes: bool = False                    # same names (any case) in the same order
    note: str = ''
    near: Tuple[Tuple[str, str], ...] = ()        # (new target class, similar checkpoint class)
    tensors_transferred: int = 0                  # class-dependent tensors copied by class


@dataclass(frozen=True)
class ModuleCoverage:
    """Per top-level module counts of tensors and elements by status."""
    module: str
    tensors: int
    numel: int
    by_status: Dict[str, int]
    numel_by_status: Dict[str, int]  # for `transferred`: values actually copied

    @property
    def numel_restored(self) -> int:
        return self.numel_by_status.get(LOADED, 0) + self.numel_by_status.get(TRANSFERRED, 0)


@dataclass(frozen=True)
class LoadPolicy:
    """When loading must fail instead of training (mostly) from scratch in silence.

    `require_full_backbone`: every `backbone.*` tensor must be loaded (patterns the user wrote
    are respected) — a backbone that did not load is the costliest silent mistake.
    `min_loaded_fraction`: at least this fraction of the tensors the mode asks for must be
    restored; below it the file is almost certainly the wrong one.
    `allow_shape_mismatch`: false makes a shape mismatch outside the class-dependent layers an
    error in every mode (by default such tensors start fresh and are listed).
    """
    require_full_backbone: bool = True
    min_loaded_fraction: float = 0.25
    allow_shape_mismatch: bool = True
    backbone_prefix: str = 'backbone'


@dataclass(frozen=True)
class LoadReport:
    """Everything `load_pretrain_weights` did, tensor by tensor."""
    source: str
    mode: str
    matching: str
    records: Tuple[TensorRecord, ...]
    unused: Tuple[Tuple[str, Shape], ...]
    patterns: Tuple[PatternReport, ...]
    classes: ClassTransfer
    warnings: Tuple[str, ...] = ()
    seconds: float = 0.0
    applied: bool = True

    def by_status(self, status: str) -> List[TensorRecord]:
        return [r for r in self.records if r.status == status]

    def record(self, name: str) -> TensorRecord:
        for r in self.records:
            if r.name == name:
                return r
        raise KeyError(name)

    # fvcore-style views, for code that knows those names.
    @property
    def missing_keys(self) -> List[str]:
        return [r.name for r in self.records if r.status == MISSING]

    @property
    def unexpected_keys(self) -> List[str]:
        return [n for n, _ in self.unused]

    @property
    def incorrect_shapes(self) -> List[Tuple[str, Shape, Shape]]:
        return [(r.name, r.source_shape or (), r.shape) for r in self.records
                if r.status == SHAPE_MISMATCH]

    def coverage(self) -> List[ModuleCoverage]:
        """Coverage per top-level module, in model order."""
        order: List[str] = []
        acc: Dict[str, Tuple[Dict[str, int], Dict[str, int]]] = {}
        totals: Dict[str, int] = {}
        for r in self.records:
            if r.module not in acc:
                order.append(r.module)
                acc[r.module] = ({s: 0 for s in STATUSES}, {s: 0 for s in STATUSES})
                totals[r.module] = 0
            counts, numels = acc[r.module]
            counts[r.status] += 1
            numels[r.status] += r.restored_numel if r.restored_numel is not None else r.numel
            totals[r.module] += r.numel
        return [ModuleCoverage(m, sum(acc[m][0].values()), totals[m], acc[m][0], acc[m][1])
                for m in order]


@dataclass(frozen=True)
class FreezeReport:
    """What `apply_freeze` froze: parameters, BatchNorm layers kept in eval mode, patterns."""
    frozen: Tuple[str, ...]
    trainable: Tuple[str, ...]
    frozen_numel: int
    trainable_numel: int
    frozen_norm_layers: Tuple[str, ...]
    patterns: Tuple[PatternReport, ...]
    warnings: Tuple[str, ...] = field(default_factory=tuple)


def short_shape(shape: Optional[Sequence[int]]) -> str:
    return '[' + ','.join(str(int(d)) for d in (shape or ())) + ']'
