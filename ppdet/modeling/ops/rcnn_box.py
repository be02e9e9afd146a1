"""R-CNN box decoding: class-specific deltas on the RoIs, clipped to the resized image.

The boxes stay in resized-input pixels; `BBoxPostProcess.get_pred` brings the NMS output back
to the original image. The background column (the last) of the class probabilities is
dropped, so NMS sees [R, C] scores and [R, C, 4] boxes.
"""
from __future__ import annotations

from typing import Any, List, Sequence, Tuple

import paddle

from ppdet.core.workspace import register
from ppdet.modeling.ops.boxes import clip_to_shape, delta2bbox

__all__ = ['RCNNBox']


@register
class RCNNBox:
    __shared__ = ['num_classes', 'export_onnx']

    def __init__(self, prior_box_var: List[float] = [10., 10., 5., 5.],
                 code_type: str = 'decode_center_size', box_normalized: bool = False,
                 num_classes: int = 80, export_onnx: bool = False):
        self.prior_box_var = list(prior_box_var)
        self.code_type = code_type  # accepted for configs: the only coding is centre-size
        self.box_normalized = box_normalized
        self.num_classes = num_classes
        self.export_onnx = export_onnx

    def __call__(self, head_out: Tuple[paddle.Tensor, paddle.Tensor],
                 rois: Tuple[Sequence[paddle.Tensor], paddle.Tensor], im_shape: paddle.Tensor,
                 scale_factor: paddle.Tensor) -> Tuple[Tuple[paddle.Tensor, Any],
                                                       paddle.Tensor]:
        """-> ((boxes [R, C, 4], rois_num), scores [R, C])."""
        deltas, probs = head_out
        roi_list, rois_num = rois
        counts = paddle.cast(rois_num, 'int64')
        shape = paddle.repeat_interleave(im_shape, counts, axis=0)  # [R, 2] (h, w)
        boxes = paddle.concat(roi_list) if len(roi_list) > 1 else roi_list[0]
        boxes = delta2bbox(deltas, boxes, self.prior_box_var)
        boxes = paddle.expand(boxes, [boxes.shape[0], self.num_classes, boxes.shape[-1]])
        height, width = shape[:, 0:1], shape[:, 1:2]
        boxes = clip_to_shape(boxes, height, width)
        return (boxes, rois_num), probs[:, :-1]
