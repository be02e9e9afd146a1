"""The unit of work sent to a worker process: one source file and where its image goes."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

from ppdet.convert.placement import place_image, write_image_bytes

# Labels that mark regions to ignore rather than objects (labelme's labels.txt convention).
IGNORE_LABELS = frozenset({'__ignore__', '_background_', '__background__'})


@dataclass(frozen=True)
class Task:
    """One annotation file to convert.

    image_id: the final COCO id (position in the sorted source list, + 1), fixed before parsing
    so ids are stable whatever the worker count. split: 'train' / 'val' / 'test' or a VOC output
    name. source_root: folder that file names in the report are shown relative to.
    image_dir: where to look for images (None: beside the annotation). dest_dir: where the
    image is placed (None: nowhere), by `placement` (see ppdet.convert.placement).
    """
    image_id: int
    source: str
    split: str
    source_root: str
    image_dir: Optional[str] = None
    dest_dir: Optional[str] = None
    placement: str = 'auto'

    @property
    def shown(self) -> str:
        """The file name used in issues: relative to the input folder when possible."""
        prefix = os.path.join(self.source_root, '')
        if self.source.startswith(prefix) and '..' not in self.source:
            return self.source[len(prefix):]  # the common case, without relpath's getcwd calls
        try:
            rel = os.path.relpath(self.source, self.source_root)
            return self.source if rel.startswith('..') else rel
        except ValueError:
            return self.source


def read_json_list_file(task: 'Task', res: Any, key: str, kind: str) -> Optional[dict]:
    """The task's JSON if it is a mapping holding a list under `key`; otherwise record why
    not on `res` (unreadable: error; another kind of JSON: warning) and return None."""
    try:
        with open(task.source, 'rb') as f:
            data = json.loads(f.read())  # bytes: UTF-8 (with or without BOM), UTF-16, UTF-32
    except (OSError, UnicodeDecodeError, ValueError) as e:
        res.add('error', 'unreadable', f'cannot read JSON: {e}')
        return None
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        res.add('warning', 'skipped', f'not a {kind} file (no "{key}" list); file left out')
        return None
    return data


def place_output_image(task: Task, res: Any, src: Optional[Union[str, Path]], name: str,
                       data: Optional[bytes] = None) -> bool:
    """Put the image (the file `src`, or embedded `data`) at dest_dir/name and record how on
    `res.placed`; False, with an error on `res`, when the filesystem refuses."""
    if not task.dest_dir:
        return True
    dest = os.path.join(task.dest_dir, name)
    try:
        res.placed = (place_image(src, dest, task.placement) if src is not None
                      else write_image_bytes(data or b'', dest))
    except OSError as e:
        res.add('error', 'unwritable', f'cannot place the image at {dest}: {e.strerror or e}')
        return False
    return True
