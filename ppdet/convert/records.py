"""What a per-file parser hands back to the pipeline: the image, its instances and its issues.

Parsers run in worker processes, so these are small picklable dataclasses; category ids and
annotation ids are assigned later, in the parent, once every label is known.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import List, NamedTuple, Optional, Union

from ppdet.convert.geometry import Box, xyxy_to_xywh

LEVELS = ('info', 'warning', 'error')
_JSON = json.JSONEncoder(ensure_ascii=False)  # what json.dumps(..., ensure_ascii=False) builds per call


@dataclass
class Issue:
    """One thing that did not go through unchanged.

    level: 'info' (expected and harmless, e.g. an `__ignore__` shape), 'warning' (data changed or
    left out: clipped, refused, dropped; `--strict` makes these fail the run) or 'error' (the run
    fails). kind is a short tag used for counting: clipped, dropped, refused, ignored, skipped,
    resolved, unreadable, unknown_label, duplicate, missing_image, empty_split, unwritable.
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

    def encoded(self) -> 'EncodedInstance':
        """This instance with its COCO annotation already written as JSON, all but the ids."""
        ann = {'bbox': xyxy_to_xywh(self.box), 'area': self.area, 'iscrowd': self.iscrowd,
               'segmentation': self.segmentation or []}
        ann.update(self.extra)
        return EncodedInstance(self.label, self.iscrowd, int(self.extra.get('difficult', 0)),
                               _JSON.encode(ann)[1:])


class EncodedInstance(NamedTuple):
    """What the parent needs of an instance: the label and counts for the report, and the
    annotation's JSON after `{"id": .., "image_id": .., "category_id": .., ` (`tail`, ending in
    `}`). Worker processes write it, so the floats of 10,000 files are formatted in parallel
    and a short string, not a tree of lists, travels back to the parent."""
    label: str
    iscrowd: int
    difficult: int
    tail: str

    def annotation_json(self, ann_id: int, image_id: int, category_id: int) -> str:
        """The annotation as `json.dumps` would write the whole dict (same keys, same order)."""
        return (f'{{"id": {ann_id}, "image_id": {image_id}, "category_id": {category_id}, '
                f'{self.tail}')


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
    placed: str = ''            # how the image reached the output folder ('' not placed)
    instances: List[Union[Instance, EncodedInstance]] = field(default_factory=list)
    issues: List[Issue] = field(default_factory=list)

    def add(self, level: str, kind: str, reason: str) -> None:
        self.issues.append(Issue(level, kind, self.source, reason))

    def encode(self) -> 'FileResult':
        """Turn every instance into an EncodedInstance (in the worker, before the result is sent
        to the parent); returns self."""
        self.instances = [i.encoded() if isinstance(i, Instance) else i for i in self.instances]
        return self
