"""SSD multibox loss: prior matching, box encoding, hard negative mining.

Matching (per image, vectorised over the batch): a prior takes the ground truth it overlaps
most; it is positive when that IoU >= `overlap_threshold`, a negative candidate when it is
< `neg_overlap`, ignored in between (with the defaults 0.5 / 0.5 nothing is ignored, as in
PaddleDetection). Every real ground truth also claims its best prior, whatever the IoU, so small
objects are never left without a positive. Padded ground truths (zero area, as PadBox writes
them) take part in nothing.

Hard negative mining keeps, per image, the `neg_pos_ratio * num_pos` negatives with the
highest confidence loss (1% of the priors when the image has no positive), which keeps the
background from swamping the classification loss.

The loss is `(conf_loss_weight * CE(pos + mined neg) + loc_loss_weight * SmoothL1(pos)) /
num_pos`, summed over the batch. Ranks and counts are compared as int64 on both sides: Paddle 3
rejects int64-vs-float32 comparisons.
"""
from __future__ import annotations

from typing import List, Tuple

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ppdet.core.workspace import register

__all__ = ['SSDLoss', 'iou_matrix', 'encode_center_size']


def iou_matrix(a: paddle.Tensor, b: paddle.Tensor) -> paddle.Tensor:
    """IoU of boxes a [B, G, 4] with b [P, 4] (xyxy, normalised) -> [B, G, P]."""
    a = a.unsqueeze(2)  # [B, G, 1, 4]
    iw = paddle.clip(paddle.minimum(a[..., 2], b[:, 2]) - paddle.maximum(a[..., 0], b[:, 0]),
                     min=0)
    ih = paddle.clip(paddle.minimum(a[..., 3], b[:, 3]) - paddle.maximum(a[..., 1], b[:, 1]),
                     min=0)
    inter = iw * ih
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return inter / paddle.clip(area_a + area_b - inter, min=1e-10)


def encode_center_size(gt: paddle.Tensor, priors: paddle.Tensor,
                       variance: List[float]) -> paddle.Tensor:
    """Inverse of the SSDBox decode: gt [B, P, 4] xyxy, priors [P, 4] -> deltas [B, P, 4]."""
    pw = priors[:, 2] - priors[:, 0]
    ph = priors[:, 3] - priors[:, 1]
    px = priors[:, 0] + 0.5 * pw
    py = priors[:, 1] + 0.5 * ph
    # unmatched priors may point at a padded (empty) box: keep their targets finite
    gw = paddle.clip(gt[..., 2] - gt[..., 0], min=1e-6)
    gh = paddle.clip(gt[..., 3] - gt[..., 1], min=1e-6)
    gx = gt[..., 0] + 0.5 * gw
    gy = gt[..., 1] + 0.5 * gh
    return paddle.stack([(gx - px) / pw / variance[0], (gy - py) / ph / variance[1],
                         paddle.log(gw / pw) / variance[2],
                         paddle.log(gh / ph) / variance[3]], axis=-1)


@register
class SSDLoss(nn.Layer):
    """See the module docstring.

    Args:
        overlap_threshold: IoU from which a prior is positive.
        neg_pos_ratio: mined negatives per positive.
        neg_overlap: IoU below which a prior may serve as a negative.
        loc_loss_weight, conf_loss_weight: weights of the two terms.
        prior_box_var: variances of the box encoding (must match the decoder's).
    """

    def __init__(self, overlap_threshold: float = 0.5, neg_pos_ratio: float = 3.0,
                 neg_overlap: float = 0.5, loc_loss_weight: float = 1.0,
                 conf_loss_weight: float = 1.0,
                 prior_box_var: List[float] = [0.1, 0.1, 0.2, 0.2]):
        super().__init__()
        self.overlap_threshold = overlap_threshold
        self.neg_pos_ratio = neg_pos_ratio
        self.neg_overlap = neg_overlap
        self.loc_loss_weight = loc_loss_weight
        self.conf_loss_weight = conf_loss_weight
        self.prior_box_var = [float(v) for v in prior_box_var]

    def match(self, gt_bbox: paddle.Tensor, gt_label: paddle.Tensor, priors: paddle.Tensor,
              bg_index: int) -> Tuple[paddle.Tensor, paddle.Tensor, paddle.Tensor, paddle.Tensor]:
        """Returns (box targets [B,P,4] encoded, labels [B,P] int64, positive mask [B,P],
        negative-candidate mask [B,P])."""
        num_priors = priors.shape[0]
        valid = paddle.logical_and(gt_bbox[..., 2] > gt_bbox[..., 0],
                                   gt_bbox[..., 3] > gt_bbox[..., 1])  # [B, G]
        ious = iou_matrix(gt_bbox, priors)
        ious = paddle.where(valid.unsqueeze(-1), ious, paddle.full_like(ious, -1.))
        best_iou = ious.max(axis=1)  # [B, P]
        best_gt = ious.argmax(axis=1)  # [B, P] int64
        # each real gt claims its best prior: force IoU 2 and point the prior at that gt
        forced = F.one_hot(ious.argmax(axis=2), num_priors)  # [B, G, P]
        forced = forced * valid.unsqueeze(-1).astype(forced.dtype)
        is_forced = forced.max(axis=1) > 0
        best_gt = paddle.where(is_forced, forced.argmax(axis=1), best_gt)
        best_iou = paddle.where(is_forced, paddle.full_like(best_iou, 2.), best_iou)

        pos = best_iou >= self.overlap_threshold
        neg = paddle.logical_and(best_iou < self.neg_overlap, best_iou >= 0)
        neg = paddle.logical_or(neg, best_iou < 0)  # image without any real gt
        neg = paddle.logical_and(neg, paddle.logical_not(pos))

        labels = paddle.take_along_axis(gt_label, best_gt, axis=1)
        labels = paddle.where(pos, labels, paddle.full_like(labels, bg_index))
        idx = best_gt.unsqueeze(-1).expand([-1, -1, 4])
        boxes = paddle.take_along_axis(gt_bbox, idx, axis=1)
        targets = encode_center_size(boxes, priors, self.prior_box_var)
        return targets, labels, pos, neg

    def mine_hard_negatives(self, conf_loss: paddle.Tensor, pos: paddle.Tensor,
                            neg: paddle.Tensor) -> paddle.Tensor:
        """Mask [B, P] of the negatives kept: the top-k by loss, k per image (int64)."""
        num_priors = conf_loss.shape[1]
        num_pos = pos.astype('int64').sum(axis=1, keepdim=True)
        num_neg = paddle.floor(num_pos.astype('float32') * self.neg_pos_ratio).astype('int64')
        fallback = paddle.full_like(num_neg, max(int(num_priors * 0.01), 1))
        num_neg = paddle.where(num_neg > 0, num_neg, fallback)
        num_neg = paddle.minimum(num_neg, neg.astype('int64').sum(axis=1, keepdim=True))
        ranked = paddle.where(neg, conf_loss.detach(), paddle.full_like(conf_loss, -1.))
        order = paddle.argsort(ranked, axis=1, descending=True)
        rank = paddle.argsort(order, axis=1)  # int64 rank of each prior
        return paddle.logical_and(rank < num_neg, neg)

    def forward(self, boxes: List[paddle.Tensor], scores: List[paddle.Tensor],
                gt_bbox: paddle.Tensor, gt_class: paddle.Tensor,
                prior_boxes: List[paddle.Tensor]) -> paddle.Tensor:
        """boxes/scores: per level [B, N_i, 4] / [B, N_i, C+1]; gt_bbox [B, G, 4] normalised
        xyxy; gt_class [B, G] or [B, G, 1]; prior_boxes per level [N_i, 4]."""
        boxes = paddle.concat(boxes, axis=1)
        scores = paddle.concat(scores, axis=1)
        priors = paddle.concat(prior_boxes, axis=0)
        bg_index = scores.shape[-1] - 1
        gt_label = gt_class.reshape([gt_class.shape[0], -1]).astype('int64')
        gt_bbox = gt_bbox.astype(boxes.dtype)
        with paddle.no_grad():
            targets, labels, pos, neg = self.match(gt_bbox, gt_label, priors, bg_index)

        posf = pos.astype(boxes.dtype)
        diff = paddle.abs(boxes - targets)
        smooth_l1 = paddle.where(diff < 1., 0.5 * diff * diff, diff - 0.5)
        loc_loss = (smooth_l1.sum(axis=-1) * posf).sum()

        conf = F.cross_entropy(scores, labels.unsqueeze(-1), reduction='none').squeeze(-1)
        keep = paddle.logical_or(pos, self.mine_hard_negatives(conf, pos, neg))
        conf_loss = (conf * keep.astype(conf.dtype)).sum()

        normalizer = paddle.clip(posf.sum(), min=1.)
        return (self.conf_loss_weight * conf_loss + self.loc_loss_weight * loc_loss) / normalizer
