"""Image size from the file header, without decoding the pixels.

Used when an annotation has no usable size (VOC `<width>0</width>`, COCO without width/height)
and by `verify_images`. The size is reported as the decoder will deliver the image: an EXIF
orientation that rotates by 90 degrees swaps width and height, because Decode applies it.
"""
from __future__ import annotations

import math
import os
from typing import Any, Optional, Tuple

__all__ = ['read_image_size', 'IMAGE_EXTENSIONS']

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
_EXIF_ORIENTATION = 0x0112
_ROTATES_90 = (5, 6, 7, 8)


def read_image_size(path: str) -> Tuple[Optional[Tuple[int, int]], str]:
    """Return ((width, height), '') or (None, reason) for a missing or unreadable file."""
    if not os.path.isfile(path):
        return None, 'image file not found'
    try:
        from PIL import Image
        with Image.open(path) as im:
            w, h = im.size
            try:
                orientation = im.getexif().get(_EXIF_ORIENTATION, 1)
            except Exception:  # a broken EXIF block does not make the image unreadable
                orientation = 1
    except Exception as e:  # PIL raises many types for bad files; all mean "cannot read"
        return None, f'cannot read image header ({type(e).__name__}: {e})'
    if w <= 0 or h <= 0:
        return None, f'image header has size {w}x{h}'
    if orientation in _ROTATES_90:
        w, h = h, w
    return (int(w), int(h)), ''


def size_or_read(w: Any, h: Any, im_file: str, fix_reason: str, fix_file: str,
                 summary: Any) -> Optional[Tuple[float, float]]:
    """(w, h) from the annotation when both are positive numbers; otherwise read from the
    image header and count the fix — or refuse the image (None) when it cannot be read."""
    if isinstance(w, (int, float)) and isinstance(h, (int, float)) \
            and math.isfinite(w) and math.isfinite(h) and w > 0 and h > 0:
        return w, h
    wh, why = read_image_size(im_file)
    if wh is None:
        summary.refuse(im_file, why)
        return None
    summary.fix(fix_reason, fix_file)
    return wh
