"""Optional deep check of a parsed dataset's image files (what `tools/check_dataset.py` runs).

Parsing only checks that files exist (cheap for 100k images); this reads every file: the header
(or, with decode=True, all pixels) must be readable and agree with the annotated size —
otherwise boxes were clipped against the wrong size. Problems are added to the summary.
"""
from __future__ import annotations

from typing import Any, List, Tuple

from ppdet.core.errors import DatasetError
from ppdet.data.source.image_info import read_image_size
from ppdet.data.transform.decode import decode_image, read_file

__all__ = ['verify_images']


def verify_images(dataset: Any, decode: bool = False) -> List[Tuple[str, str]]:
    """Return [(file, problem)] for unreadable images or sizes differing from the annotation."""
    problems: List[Tuple[str, str]] = []
    for rec in dataset.records:
        path = rec['im_file']
        if decode:
            try:
                im = decode_image(read_file(path), path)
            except DatasetError as e:
                problems.append((path, str(e)))
                continue
            wh = (im.shape[1], im.shape[0])
        else:
            wh, why = read_image_size(path)
            if wh is None:
                problems.append((path, why))
                continue
        if 'w' in rec and (rec['w'], rec['h']) != wh:
            problems.append((path, f'annotation says {rec["w"]}x{rec["h"]} but the image is '
                                   f'{wh[0]}x{wh[1]}: boxes may be wrong; fix the annotation'))
    dataset.summary.problems.extend(problems)
    return problems
