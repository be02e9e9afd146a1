"""Image files for the converters: find them, read their size from the header, copy them out.

Sizes come from the file header through Pillow (no pixel decoding), which keeps reading
10,000 images cheap when an annotation does not carry its size.
"""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from typing import Iterable, Optional, Tuple

from PIL import Image

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
_FORMAT_EXT = {'JPEG': '.jpg', 'PNG': '.png', 'BMP': '.bmp', 'TIFF': '.tif', 'WEBP': '.webp',
               'GIF': '.gif'}


def is_image_name(name: str) -> bool:
    """True when the file name ends in a known image extension (case-insensitive)."""
    return os.path.splitext(name)[1].lower() in IMAGE_EXTS


def image_size(path: Path) -> Optional[Tuple[int, int]]:
    """(width, height) read from the header, or None when the file is missing or not an image."""
    try:
        with Image.open(path) as im:
            return int(im.size[0]), int(im.size[1])
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def bytes_info(data: bytes) -> Optional[Tuple[int, int, str]]:
    """(width, height, extension) of an encoded image held in memory, or None if undecodable."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            ext = _FORMAT_EXT.get(im.format or '', '.png')
            return int(im.size[0]), int(im.size[1]), ext
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def first_existing(candidates: Iterable[Path]) -> Optional[Path]:
    """The first candidate that is an existing file; candidates may repeat."""
    seen = set()
    for c in candidates:
        if c in seen:
            continue
        seen.add(c)
        if c.is_file():
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


def copy_image(src: Path, dest_dir: Path, name: str) -> None:
    """Copy `src` to dest_dir/name unless the same file is already there (same size)."""
    dest = dest_dir / name
    if dest.is_file() and dest.stat().st_size == src.stat().st_size:
        return
    dest_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)


def write_image_bytes(data: bytes, dest_dir: Path, name: str) -> None:
    """Write an embedded (already encoded) image to dest_dir/name."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    with open(dest_dir / name, 'wb') as f:
        f.write(data)
