"""Image files for the converters: find them and read their size from the header.

Sizes come from the file header (no pixel decoding): JPEG and PNG headers are read directly,
anything else through Pillow, which keeps reading 10,000 images cheap.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Iterable, Optional, Tuple, TypeVar, Union

from ppdet.convert.image_header import header_size

PathLike = TypeVar('PathLike', str, Path)
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
_FORMAT_EXT = {'JPEG': '.jpg', 'PNG': '.png', 'BMP': '.bmp', 'TIFF': '.tif', 'WEBP': '.webp',
               'GIF': '.gif'}


def is_image_name(name: str) -> bool:
    """True when the file name ends in a known image extension (case-insensitive)."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTS


def image_size(path: Union[str, Path]) -> Optional[Tuple[int, int]]:
    """(width, height) read from the header, or None when the file is missing or not an image."""
    size = header_size(str(path))
    if size is not None:
        return size
    from PIL import Image  # other formats and odd headers only: Pillow is slow to import
    try:
        with Image.open(path) as im:
            return int(im.size[0]), int(im.size[1])
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def bytes_info(data: bytes) -> Optional[Tuple[int, int, str]]:
    """(width, height, extension) of an encoded image held in memory, or None if undecodable."""
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as im:
            ext = _FORMAT_EXT.get(im.format or '', '.png')
            return int(im.size[0]), int(im.size[1]), ext
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def first_existing(candidates: Iterable[PathLike]) -> Optional[PathLike]:
    """The first candidate (str or Path, returned as given) that is an existing file."""
    seen = set()
    for c in candidates:
        if c in seen:
            continue
        seen.add(c)
        if os.path.isfile(c):
            return c
    return None


def same_stem_image(folder: Path, stem: str) -> Optional[Path]:
    """An image in `folder` named `stem` + any image extension (both letter cases tried).

    `stem` may itself contain dots (`img.v2.final`); only the last suffix is an extension.
    """
    for ext in IMAGE_EXTS:
        for e in (ext, ext.upper()):
            p = folder / (stem + e)
            if p.is_file():
                return p
    return None


def native_path(text: str) -> Path:
    """A path as written in an annotation, with Windows separators made portable."""
    return Path(text.replace('\\', '/'))
