"""Region proposals from one level's RPN outputs, through Paddle's `generate_proposals`.

Per image and level: decode the `pre_nms_top_n` best anchors, clip them to the image, drop
boxes smaller than `min_size`, NMS at `nms_thresh`, keep `post_nms_top_n`. The RPN head then
pools the levels and keeps the best `post_nms_top_n` over all of them. With
`topk_after_collect` each level keeps up to `pre_nms_top_n` after NMS, so that final cut
alone decides (PaddleDetection's FPN training setting).
"""
from __future__ import annotations

from typing import Tuple

import paddle

from ppdet.core.workspace import register

__all__ = ['ProposalGenerator']


@register
class ProposalGenerator:
    def __init__(self, pre_nms_top_n: int = 12000, post_nms_top_n: int = 2000,
                 nms_thresh: float = .5, min_size: float = .1, eta: float = 1.,
                 topk_after_collect: bool = False):
        self.pre_nms_top_n = pre_nms_top_n
        self.post_nms_top_n = post_nms_top_n
        self.nms_thresh = nms_thresh
        self.min_size = min_size
        self.eta = eta
        self.topk_after_collect = topk_after_collect

    def __call__(self, scores: paddle.Tensor, bbox_deltas: paddle.Tensor,
                 anchors: paddle.Tensor, im_shape: paddle.Tensor
                 ) -> Tuple[paddle.Tensor, paddle.Tensor]:
        """One image: `scores` [1, A, H, W], `bbox_deltas` [1, 4A, H, W], `anchors`
        [H*W*A, 4], `im_shape` [1, 2] -> (rois [R, 4], objectness [R, 1])."""
        kept = self.pre_nms_top_n if self.topk_after_collect else self.post_nms_top_n
        rois, probs, _ = paddle.vision.ops.generate_proposals(
            scores, bbox_deltas, im_shape, anchors, paddle.ones_like(anchors),
            pre_nms_top_n=self.pre_nms_top_n, post_nms_top_n=kept,
            nms_thresh=self.nms_thresh, min_size=self.min_size, eta=self.eta,
            return_rois_num=True)
        return rois, probs
