"""YOLOv3 box decoding through Paddle's `yolo_box` op, in original-image pixels."""
from __future__ import annotations

from typing import List, Sequence, Tuple

import paddle

from ppdet.core.workspace import register

__all__ = ['YOLOBox']


@register
class YOLOBox:
    """Decode each level's raw head map into boxes and class scores.

    Level i is taken to have stride `downsample_ratio // 2**i` (deepest level first, as the
    head emits them). Boxes come out in original-image pixels: the op is given
    `int32(im_shape / scale_factor)` as image size, so no later rescaling is needed. Candidates
    whose objectness is below `conf_thresh` get zero boxes and zero scores.
    """
    __shared__ = ['num_classes']

    def __init__(self, num_classes: int = 80, conf_thresh: float = 0.005,
                 downsample_ratio: int = 32, clip_bbox: bool = True, scale_x_y: float = 1.):
        self.num_classes = num_classes
        self.conf_thresh = conf_thresh
        self.downsample_ratio = downsample_ratio
        self.clip_bbox = clip_bbox
        self.scale_x_y = scale_x_y

    def __call__(self, yolo_head_out: Sequence[paddle.Tensor], anchors: List[List[int]],
                 im_shape: paddle.Tensor, scale_factor: paddle.Tensor
                 ) -> Tuple[paddle.Tensor, paddle.Tensor]:
        """Returns boxes [B, M, 4] (x1, y1, x2, y2) and scores [B, C, M]."""
        origin_shape = paddle.cast(im_shape / scale_factor, 'int32')
        boxes_list, scores_list = [], []
        for i, head_out in enumerate(yolo_head_out):
            boxes, scores = paddle.vision.ops.yolo_box(
                head_out, origin_shape, [int(a) for a in anchors[i]], self.num_classes,
                self.conf_thresh, self.downsample_ratio // 2 ** i, self.clip_bbox,
                scale_x_y=self.scale_x_y)
            boxes_list.append(boxes)
            scores_list.append(paddle.transpose(scores, perm=[0, 2, 1]))
        return paddle.concat(boxes_list, axis=1), paddle.concat(scores_list, axis=2)
