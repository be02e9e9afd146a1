"""What a per-file parser hands back to the pipeline: the image, its instances and its issues.

Parsers run in worker processes, so these are small picklable dataclasses; category ids and
annotation ids are assigned later, in the parent, once every label is known.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from ppdet.convert.geometry import Box

LEVELS = ('info', 'warning', 'error')


@dataclass
class Issue:
    """One thing that did not go through unchanged.

    level: 'info' (expected and harmless, e.g. an `__ignore__` shape), 'warning' (data changed or
    left out: clipped, refused, dropped; `--strict` makes these fail the run) or 'error' (the run
    fails). kind is a short tag used for counting: clipped, dropped, refused, ignored, skipped,
    resolved, unreadable, unknown_label, duplicate, missing_image, empty_split.
    """
    level: str
    kind: str
    file: str
    reason: str

    def as_dict(self) -> dict:
        return {'level': self.level, 'kind': self.kind, 'file': self.file, 'reason': self.reason}


@dataclass
class Instance:
    """One object: a box (x1, y1, x2, y2), optional polygons (flat lists) and its area."""
    label: str
    box: Box
    segmentation: Optional[List[List[float]]] = None
    area: float = 0.0
    iscrowd: int = 0
    extra: dict = field(default_factory=dict)   # e.g. VOC difficult/truncated, kept in the JSON


@dataclass
class ImageInfo:
    """The image entry as it will appear in the COCO file (without its id)."""
    file_name: str
    width: int
    height: int


@dataclass
class FileResult:
    """Everything one source file produced; `image` is None when the file had to be skipped."""
    image_id: int
    source: str
    split: str
    image: Optional[ImageInfo] = None
    origin: str = ''            # the image file used ('' unknown, 'imageData' when embedded)
    instances: List[Instance] = field(default_factory=list)
    issues: List[Issue] = field(default_factory=list)

    def add(self, level: str, kind: str, reason: str) -> None:
        self.issues.append(Issue(level, kind, self.source, reason))
