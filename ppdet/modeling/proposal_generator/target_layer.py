"""The configurable assigners of the two R-CNN stages (see `target.py` for the rules)."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

import paddle

from ppdet.core.workspace import register
from ppdet.modeling.proposal_generator.target import (generate_proposal_target,
                                                      rpn_anchor_target)

__all__ = ['RPNTargetAssign', 'BBoxAssigner']


@register
class RPNTargetAssign:
    """Samples `batch_size_per_im` anchors per image (a `fg_fraction` of foreground at most):
    foreground at IoU >= `positive_overlap` (or best for a ground truth), background below
    `negative_overlap`. The loss is normalised by `batch_size_per_im * images`."""

    def __init__(self, batch_size_per_im: int = 256, fg_fraction: float = 0.5,
                 positive_overlap: float = 0.7, negative_overlap: float = 0.3,
                 ignore_thresh: float = -1., use_random: bool = True,
                 assign_on_cpu: bool = False):
        self.batch_size_per_im = batch_size_per_im
        self.fg_fraction = fg_fraction
        self.positive_overlap = positive_overlap
        self.negative_overlap = negative_overlap
        self.ignore_thresh = ignore_thresh
        self.use_random = use_random
        self.assign_on_cpu = assign_on_cpu  # accepted for configs; assignment runs in place

    def __call__(self, inputs: Dict[str, Any], anchors: paddle.Tensor):
        gt_boxes = inputs['gt_bbox']
        labels, boxes, deltas = rpn_anchor_target(
            anchors, gt_boxes, self.batch_size_per_im, self.positive_overlap,
            self.negative_overlap, self.fg_fraction, self.use_random, self.ignore_thresh,
            inputs.get('is_crowd'))
        return labels, boxes, deltas, self.batch_size_per_im * len(gt_boxes)


@register
class BBoxAssigner:
    """Samples `batch_size_per_im` RoIs per image from the proposals and the ground truth:
    foreground at IoU >= `fg_thresh` (at most `fg_fraction` of them), background below
    `bg_thresh`. Cascade stage k uses `cascade_iou[k]` for both and keeps every RoI."""
    __shared__ = ['num_classes', 'assign_on_cpu']

    def __init__(self, batch_size_per_im: int = 512, fg_fraction: float = .25,
                 fg_thresh: float = .5, bg_thresh: float = .5, ignore_thresh: float = -1.,
                 use_random: bool = True, cascade_iou: List[float] = [0.5, 0.6, 0.7],
                 num_classes: int = 80, assign_on_cpu: bool = False):
        self.batch_size_per_im = batch_size_per_im
        self.fg_fraction = fg_fraction
        self.fg_thresh = fg_thresh
        self.bg_thresh = bg_thresh
        self.ignore_thresh = ignore_thresh
        self.use_random = use_random
        self.cascade_iou = list(cascade_iou)
        self.num_classes = num_classes
        self.assign_on_cpu = assign_on_cpu

    def __call__(self, rpn_rois: Sequence[paddle.Tensor], rpn_rois_num: paddle.Tensor,
                 inputs: Dict[str, Any], stage: int = 0, is_cascade: bool = False,
                 add_gt_as_proposals: bool = True
                 ) -> Tuple[List[paddle.Tensor], paddle.Tensor, Tuple]:
        """(sampled rois per image, rois per image, (labels, matched boxes, gt indices))."""
        rois, labels, boxes, gt_inds, rois_num = generate_proposal_target(
            rpn_rois, inputs['gt_class'], inputs['gt_bbox'], self.batch_size_per_im,
            self.fg_fraction, self.fg_thresh, self.bg_thresh, self.num_classes,
            self.ignore_thresh, inputs.get('is_crowd'), self.use_random, is_cascade,
            self.cascade_iou[stage], add_gt_as_proposals)
        return rois, rois_num, (labels, boxes, gt_inds)
