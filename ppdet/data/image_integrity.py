"""Whether each image file of a parsed dataset can really be read (what `tools/check_dataset.py`
runs after parsing).

Parsing only checks that files exist (cheap for 100k images). This reads every file's header:
it must be readable and agree with the annotated size (otherwise boxes were clipped against the
wrong size). A JPEG or PNG whose end marker is missing is fully loaded to tell a truncated file
(a cut-off download or copy: the training decoder fails on it mid-run) from harmless bytes after
the end; `decode=True` also decodes every image with the training decoder. Problems are added
to the summary.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

from ppdet.core.errors import DatasetError
from ppdet.data.source.image_info import read_image_size
from ppdet.data.transform.decode import decode_image, read_file

__all__ = ['verify_images', 'truncation_problem']

_TAIL_BYTES = 32  # a JPEG's EOI marker may be followed by a few padding bytes
_JPEG_START, _JPEG_END = b'\xff\xd8', b'\xff\xd9'
_PNG_START, _PNG_END = b'\x89PNG', b'IEND'


def _missing_end_marker(path: str) -> bool:
    """True when a JPEG / PNG (by content, not name) lacks its end marker near the file end."""
    with open(path, 'rb') as f:
        head = f.read(4)
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - _TAIL_BYTES))
        tail = f.read()
    if head.startswith(_JPEG_START):
        return _JPEG_END not in tail
    if head.startswith(_PNG_START):
        return _PNG_END not in tail
    return False


def truncation_problem(path: str) -> Optional[str]:
    """Why the file is truncated or corrupt past its header, or None when it reads to the end.

    Cheap for good files (the last bytes are looked at); only a file without its end marker is
    loaded fully (Pillow refuses truncated data but accepts trailing bytes after the end).
    """
    try:
        if not _missing_end_marker(path):
            return None
        from PIL import Image
        with Image.open(path) as im:
            im.load()
    except Exception as e:  # PIL and the OS raise many types; all mean "cannot be read"
        return (f'truncated or corrupt: the image data ends early ({type(e).__name__}: {e}); '
                f'training cannot decode it: replace the file or remove it from the annotation')
    return None


def _problem(rec: dict, decode: bool) -> Optional[str]:
    path = rec['im_file']
    if decode:
        try:
            im = decode_image(read_file(path), path)
        except DatasetError as e:
            return str(e)
        wh: Optional[Tuple[int, int]] = (im.shape[1], im.shape[0])
    else:
        wh, why = read_image_size(path)
        if wh is None:
            return why
    cut = truncation_problem(path)
    if cut is not None:
        return cut
    if 'w' in rec and (rec['w'], rec['h']) != wh:
        return (f'annotation says {rec["w"]}x{rec["h"]} but the image is {wh[0]}x{wh[1]}: '
                f'boxes may be wrong; fix the annotation')
    return None


def verify_images(dataset: Any, decode: bool = False) -> List[Tuple[str, str]]:
    """Return [(file, problem)] for unreadable or truncated images and sizes differing from
    the annotation; the same list is added to `dataset.summary.problems`."""
    problems: List[Tuple[str, str]] = []
    for rec in dataset.records:
        why = _problem(rec, decode)
        if why is not None:
            problems.append((rec['im_file'], why))
    dataset.summary.problems.extend(problems)
    return problems
