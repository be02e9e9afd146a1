"""The unit of work sent to a worker process: one source file and where its image goes."""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

# Labels that mark regions to ignore rather than objects (labelme's labels.txt convention).
IGNORE_LABELS = frozenset({'__ignore__', '_background_', '__background__'})


@dataclass(frozen=True)
class Task:
    """One annotation file to convert.

    image_id: the final COCO id (position in the sorted source list, + 1), fixed before parsing
    so ids are stable whatever the worker count. split: 'train' / 'val' / 'test' or a VOC output
    name. source_root: folder that file names in the report are shown relative to.
    image_dir: where to look for images (None: beside the annotation). dest_dir: where the
    image is copied (None: no copy).
    """
    image_id: int
    source: str
    split: str
    source_root: str
    image_dir: Optional[str] = None
    dest_dir: Optional[str] = None

    @property
    def shown(self) -> str:
        """The file name used in issues: relative to the input folder when possible."""
        try:
            rel = os.path.relpath(self.source, self.source_root)
            return self.source if rel.startswith('..') else rel
        except ValueError:
            return self.source
