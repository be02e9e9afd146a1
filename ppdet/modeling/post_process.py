"""Decode + NMS, and the rescale/clip step that brings boxes back to original-image pixels.

Shared by the four families. Decoders either return boxes already in original pixels (YOLOBox,
SSDBox) — then the NMS output is final — or in resized-input pixels (R-CNN), in which case the
architecture calls `get_pred` to rescale and clip, as PaddleDetection does.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import paddle

from ppdet.core.workspace import register

__all__ = ['BBoxPostProcess', 'nonempty_mask', 'with_placeholder_rows']

PLACEHOLDER_ROW = [-1., 0., 0., 0., 0., 0.]  # an image without detections


def nonempty_mask(boxes: paddle.Tensor, min_size: float = 0.) -> paddle.Tensor:
    """True where the xyxy box has width and height above `min_size`."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return paddle.logical_and(w > min_size, h > min_size)


def with_placeholder_rows(bboxes: paddle.Tensor, bbox_num: paddle.Tensor
                          ) -> Tuple[paddle.Tensor, paddle.Tensor]:
    """NMS rows [N, 6] with one `PLACEHOLDER_ROW` for every image that has none, and the
    new rows per image (int32, at least 1 each).

    Done by index arithmetic (which source row each output row copies) rather than a Python
    loop over images, so it runs the same in eager mode and in an exported program; the rows
    are copied, not computed, so the values are those of the NMS exactly."""
    counts = bbox_num.reshape([-1]).cast('int64')
    kept = paddle.maximum(counts, paddle.ones_like(counts))
    placeholder_index = paddle.shape(bboxes)[0:1].cast('int64')
    # no op touches `bboxes` itself but concat: Paddle Inference's oneDNN kernels raise on
    # zero-size tensors (reshape, elementwise), and an image may have no detections
    rows = paddle.concat([bboxes, paddle.to_tensor([PLACEHOLDER_ROW], dtype=bboxes.dtype)])
    image = paddle.repeat_interleave(paddle.arange(paddle.shape(counts)[0], dtype='int64'),
                                     kept)
    first_in = paddle.cumsum(counts) - counts   # each image's first row in `bboxes`
    first_out = paddle.cumsum(kept) - kept      # ... and in the output
    position = paddle.arange(paddle.shape(image)[0], dtype='int64')
    source = paddle.gather(first_in, image) + position - paddle.gather(first_out, image)
    has_rows = paddle.gather(counts, image) > 0
    source = paddle.where(has_rows, source, paddle.zeros_like(source) + placeholder_index)
    return paddle.gather(rows, source), kept.cast('int32')


@register
class BBoxPostProcess:
    """`decode(head_out, rois, im_shape, scale_factor) -> (boxes, scores)` then
    `nms(boxes, scores, num_classes)`.

    `num_classes` is passed to NMS as the background label: for sigmoid heads (YOLOv3,
    RetinaNet) no real class has that index so nothing is skipped; for softmax heads whose
    background is the last column (SSD, R-CNN) that column is ignored.
    Without `nms`, `decode` must return `(bbox_pred, bbox_num)` itself.
    """
    __shared__ = ['num_classes']
    __inject__ = ['decode', 'nms']

    def __init__(self, num_classes: int = 80, decode: Optional[Any] = None,
                 nms: Optional[Any] = None, export_onnx: bool = False,
                 export_eb: bool = False):
        self.num_classes = num_classes
        self.decode = decode
        self.nms = nms
        self.export_onnx = export_onnx  # accepted for config compatibility
        self.export_eb = export_eb

    def __call__(self, head_out: Any, rois: Any, im_shape: paddle.Tensor,
                 scale_factor: paddle.Tensor) -> Tuple[paddle.Tensor, paddle.Tensor]:
        """Returns `bbox_pred` [N, 6] (class, score, x1, y1, x2, y2) and `bbox_num` [B] int32."""
        if self.nms is None:
            return self.decode(head_out, rois, im_shape, scale_factor)
        bboxes, scores = self.decode(head_out, rois, im_shape, scale_factor)
        bbox_pred, bbox_num, _ = self.nms(bboxes, scores, self.num_classes)
        return bbox_pred, bbox_num

    def get_pred(self, bboxes: paddle.Tensor, bbox_num: paddle.Tensor,
                 im_shape: paddle.Tensor, scale_factor: paddle.Tensor
                 ) -> Tuple[paddle.Tensor, paddle.Tensor]:
        """Rescale NMS output from resized-input to original pixels, clip, flag empty boxes.

        Original size is `floor(im_shape / scale_factor + 0.5)`; boxes are divided by
        (sx, sy, sx, sy) and clipped to [0, w] x [0, h]; rows whose box became empty get
        class -1. An image without detections gets one placeholder row
        `[-1, 0, 0, 0, 0, 0]`, so every image has at least one row (as PaddleDetection).
        Returns `(bbox_pred, bbox_num)`. Tensor ops only, so it is traced into exported
        programs as it is.
        """
        bboxes, counts = with_placeholder_rows(bboxes, bbox_num)
        repeats = counts.cast('int64')
        origin = paddle.floor(im_shape / scale_factor + 0.5)
        origin = paddle.repeat_interleave(origin, repeats, axis=0)           # [N, 2] (h, w)
        scale = paddle.repeat_interleave(scale_factor, repeats, axis=0)      # [N, 2] (sy, sx)
        scale4 = paddle.concat([scale[:, 1:2], scale[:, 0:1], scale[:, 1:2], scale[:, 0:1]],
                               axis=1)
        label, score, box = bboxes[:, 0:1], bboxes[:, 1:2], bboxes[:, 2:]
        box = box / scale4
        h, w = origin[:, 0], origin[:, 1]
        zeros = paddle.zeros_like(h)
        x1 = paddle.maximum(paddle.minimum(box[:, 0], w), zeros)
        y1 = paddle.maximum(paddle.minimum(box[:, 1], h), zeros)
        x2 = paddle.maximum(paddle.minimum(box[:, 2], w), zeros)
        y2 = paddle.maximum(paddle.minimum(box[:, 3], h), zeros)
        box = paddle.stack([x1, y1, x2, y2], axis=-1)
        keep = nonempty_mask(box).unsqueeze(1)
        label = paddle.where(keep, label, paddle.full_like(label, -1.))
        out = paddle.concat([label, score, box], axis=1)
        return out, counts
