"""The unit of work sent to a worker process: one source file and where its image goes."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Optional

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


def read_json_list_file(task: 'Task', res: Any, key: str, kind: str) -> Optional[dict]:
    """The task's JSON if it is a mapping holding a list under `key`; otherwise record why
    not on `res` (unreadable: error; another kind of JSON: warning) and return None."""
    try:
        with open(task.source, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        res.add('error', 'unreadable', f'cannot read JSON: {e}')
        return None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        res.add('warning', 'skipped', f'not a {kind} file (no "{key}" list); file left out')
        return None
    return data
