"""Decode: image bytes to an RGB uint8 array, whatever the file really is.

Real data holds PNGs named .jpg, RGBA and palette images, grayscale and 16-bit scans. The
decoder looks at the content, not the extension; converts grayscale to 3 channels, drops
alpha, maps 16-bit (and float) pixels to 8-bit over their full range; and applies the EXIF
orientation as PaddleDetection's decoder does. A file that cannot be read or decoded raises
DatasetError naming it.
"""
from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from ppdet.core.errors import DatasetError
from ppdet.core.workspace import register
from ppdet.data.transform.base import BaseOperator, Sample

__all__ = ['Decode', 'decode_image', 'to_rgb8']

_FLAGS = cv2.IMREAD_ANYDEPTH | cv2.IMREAD_ANYCOLOR


def to_rgb8(im: np.ndarray, order: str = 'BGR') -> np.ndarray:
    """Any decoded array (HxW, HxWx1..4; uint8/uint16/float) to HxWx3 RGB uint8."""
    if im.dtype == np.uint16:
        im = (im.astype(np.float32) * (255.0 / 65535.0) + 0.5).astype(np.uint8)
    elif im.dtype.kind == 'f':
        scale = 255.0 if float(np.nanmax(im)) <= 1.0 else 1.0
        im = np.clip(np.nan_to_num(im) * scale + 0.5, 0, 255).astype(np.uint8)
    elif im.dtype != np.uint8:
        im = np.clip(im, 0, 255).astype(np.uint8)
    if im.ndim == 2:
        return cv2.cvtColor(im, cv2.COLOR_GRAY2RGB)
    c = im.shape[2]
    if c == 1 or c == 2:  # gray, gray+alpha
        return cv2.cvtColor(np.ascontiguousarray(im[:, :, 0]), cv2.COLOR_GRAY2RGB)
    if c == 4:
        im = np.ascontiguousarray(im[:, :, :3])
    return cv2.cvtColor(im, cv2.COLOR_BGR2RGB) if order == 'BGR' else im


def decode_image(data: bytes, path: str) -> np.ndarray:
    """Decode image file bytes to HxWx3 RGB uint8; DatasetError naming `path` on failure."""
    im: Optional[np.ndarray] = None
    if data:
        im = cv2.imdecode(np.frombuffer(data, np.uint8), _FLAGS)
    if im is None or im.size == 0:
        kind = 'empty file' if not data else 'not a decodable image (corrupt or unknown format)'
        raise DatasetError(f'cannot decode {path}: {kind}; replace the file or remove it from '
                           f'the annotation')
    return to_rgb8(im)


def read_file(path: str) -> bytes:
    try:
        with open(path, 'rb') as f:
            return f.read()
    except OSError as e:
        raise DatasetError(f'cannot read image {path}: {e.strerror or e}; check the path in '
                           f'the annotation and dataset_dir/image_dir') from None


@register
class Decode(BaseOperator):
    """Read and decode `im_file`; set image, h, w, im_shape and scale_factor = [1, 1]."""

    def __init__(self) -> None:
        pass

    def apply(self, sample: Sample, rng: np.random.Generator) -> Sample:
        path = sample.get('im_file', '<image bytes>')
        data = sample.pop('image', None)
        if data is None:
            data = read_file(path)
        im = data if isinstance(data, np.ndarray) else decode_image(data, path)
        sample['image'] = im
        # the decoded image is the truth: an annotation size that disagrees is replaced
        # (tools/check_dataset.py --verify reports such files)
        sample['h'], sample['w'] = int(im.shape[0]), int(im.shape[1])
        sample['im_shape'] = np.array(im.shape[:2], np.float32)
        sample['scale_factor'] = np.ones(2, np.float32)
        return sample
