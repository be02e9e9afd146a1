"""Anchor-to-ground-truth matching by IoU (RetinaNet): see `label_box` for the rules."""
from __future__ import annotations

from typing import Tuple

import paddle

from ppdet.core.workspace import register
from ppdet.modeling.proposal_generator.target import label_box

__all__ = ['MaxIoUAssigner']


@register
class MaxIoUAssigner:
    """Positive at IoU >= `positive_overlap` (and, with `allow_low_quality`, the best anchors
    of each ground truth), negative below `negative_overlap`, ignored in between."""

    def __init__(self, positive_overlap: float = 0.5, negative_overlap: float = 0.4,
                 allow_low_quality: bool = True):
        self.positive_overlap = positive_overlap
        self.negative_overlap = negative_overlap
        self.allow_low_quality = allow_low_quality

    def __call__(self, anchors: paddle.Tensor, gt_bboxes: paddle.Tensor
                 ) -> Tuple[paddle.Tensor, paddle.Tensor]:
        """(matched gt index [A], label [A] in {1, 0, -1})."""
        return label_box(anchors, gt_bboxes, self.positive_overlap, self.negative_overlap,
                         self.allow_low_quality)
