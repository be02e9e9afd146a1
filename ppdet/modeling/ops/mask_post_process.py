"""Pasting each detection's M x M mask probabilities into its original image (Mask R-CNN).

Pixel (x, y) of the image (centre x + 0.5) samples the mask at grid coordinates
gx = ((x + 0.5) - x0) / (x1 - x0) * 2 - 1 (likewise gy), bilinearly with zero padding
(`grid_sample`, align_corners false), where (x0, y0, x1, y1) is the detection's box in original
pixels; a pixel is in the mask when the sample is >= `binary_thresh`. These are
PaddleDetection's formulas (float32, in that order), so masks agree pixel for pixel.

PaddleDetection samples the whole image for every detection. A sample is non-zero only within
one mask cell (w / M) around the box, so here each detection samples only that window (plus a
margin) with the same per-pixel arithmetic; every other pixel is 0, as there.
"""
from __future__ import annotations

import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
import paddle
import paddle.nn.functional as F

from ppdet.core.workspace import register

__all__ = ['MaskPostProcess', 'paste_mask', 'paste_probabilities', 'align_masks_to_rows']


def _axis_window(lo: float, hi: float, cells: int, size: int) -> range:
    """Pixels along one axis whose centre may sample inside the mask (one cell of margin
    beyond the box, one more pixel for rounding), clipped to the image."""
    cell = (hi - lo) / cells
    start = max(int(math.floor(lo - cell)) - 1, 0)
    stop = min(int(math.ceil(hi + cell)) + 2, size)
    return range(start, max(stop, start))


def _grid_axis(pixels: range, lo: np.float32, hi: np.float32) -> np.ndarray:
    centres = np.arange(pixels.start, pixels.stop, dtype=np.float32) + np.float32(0.5)
    return (centres - lo) / (hi - lo) * np.float32(2) - np.float32(1)


def paste_probabilities(mask: paddle.Tensor, box: np.ndarray, im_h: int, im_w: int
                        ) -> Optional[Tuple[slice, slice, np.ndarray]]:
    """One detection's `mask` [M, M] probabilities sampled at the pixels of an im_h x im_w
    image, for `box` (x0, y0, x1, y1) float32 in original pixels: (rows, cols, values) of the
    window outside which every sample is 0; None for an empty box or window."""
    x0, y0, x1, y1 = (np.float32(v) for v in box)
    if not (x1 > x0 and y1 > y0):
        return None
    cells = int(mask.shape[-1])
    xs = _axis_window(float(x0), float(x1), cells, im_w)
    ys = _axis_window(float(y0), float(y1), cells, im_h)
    if len(xs) == 0 or len(ys) == 0:
        return None
    gx, gy = _grid_axis(xs, x0, x1), _grid_axis(ys, y0, y1)
    grid = np.stack(np.broadcast_arrays(gx[None, :], gy[:, None]), axis=-1)
    sampled = F.grid_sample(mask.reshape([1, 1, cells, -1]),
                            paddle.to_tensor(grid[None].astype(np.float32)),
                            align_corners=False)
    return slice(ys.start, ys.stop), slice(xs.start, xs.stop), sampled.numpy()[0, 0]


def paste_mask(mask: paddle.Tensor, box: np.ndarray, out: np.ndarray, thresh: float) -> None:
    """Writes one detection's binary mask (samples >= `thresh`) into `out` [im_h, im_w]."""
    out[...] = 0
    pasted = paste_probabilities(mask, box, *out.shape)
    if pasted is not None:
        rows, cols, values = pasted
        out[rows, cols] = values >= thresh


def align_masks_to_rows(masks: paddle.Tensor, nms_counts: Sequence[int],
                        row_counts: Sequence[int]) -> List[paddle.Tensor]:
    """Per output row, its mask: images whose NMS kept nothing have one placeholder row (see
    `BBoxPostProcess.get_pred`), which gets an all-zero mask."""
    out, start = [], 0
    cells = int(masks.shape[-1]) if masks.shape[0] else 1
    for nms_n, rows_n in zip(nms_counts, row_counts):
        if nms_n == 0:
            out.extend([paddle.zeros([cells, cells], 'float32')] * rows_n)
        else:
            out.extend(masks[start + j] for j in range(nms_n))
            start += nms_n
    return out


@register
class MaskPostProcess:
    """Binary masks in original-image pixels: int32 [N, H, W] aligned with the `bbox` rows;
    with images of different sizes in a batch, H and W are the largest and pixels beyond an
    image are -1 (PaddleDetection's layout)."""
    __shared__ = ['export_onnx', 'assign_on_cpu']

    def __init__(self, binary_thresh: float = 0.5, export_onnx: bool = False,
                 assign_on_cpu: bool = False):
        self.binary_thresh = binary_thresh
        self.export_onnx = export_onnx
        self.assign_on_cpu = assign_on_cpu  # accepted for configs; pasting runs in place

    def __call__(self, masks: Sequence[paddle.Tensor], bboxes: paddle.Tensor,
                 bbox_num: paddle.Tensor, origin_shape: paddle.Tensor) -> paddle.Tensor:
        """`masks`: one [M, M] probability map per row of `bboxes` [N, 6] (original pixels);
        `bbox_num` [B] rows per image; `origin_shape` [B, 2] (h, w) of each image."""
        shapes = origin_shape.numpy().astype('int64').reshape(-1, 2)
        counts = [int(n) for n in bbox_num.numpy().reshape(-1)]
        boxes = bboxes.numpy()[:, 2:].astype('float32')
        max_h, max_w = int(shapes[:, 0].max()), int(shapes[:, 1].max())
        result = np.full([len(boxes), max_h, max_w], -1, dtype=np.int32)
        row = 0
        for (im_h, im_w), n in zip(shapes, counts):
            for _ in range(n):
                paste_mask(masks[row], boxes[row], result[row, :im_h, :im_w],
                           self.binary_thresh)
                row += 1
        return paddle.to_tensor(result)
