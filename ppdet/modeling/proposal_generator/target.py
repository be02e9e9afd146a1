"""Which anchor or proposal learns from which ground-truth box, and which ones are sampled.

The rules (PaddleDetection 2.x, after Detectron2's `Matcher` and `subsample_labels`):
- `label_box`: each candidate takes the ground truth of highest IoU; labels are 1 (IoU >=
  positive threshold), 0 (background: IoU below the negative threshold, including 0), -1
  (ignored, in between). With `allow_low_quality`, the candidates of highest IoU with each
  ground truth are positive too. Crowd boxes never match: candidates near one (IoU above
  `ignore_thresh`, when set) are ignored.
- `subsample_labels`: at most `num * fg_fraction` positives, the rest of `num` negatives,
  drawn at random (`use_random`) or the first ones in index order.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import paddle

from ppdet.modeling.ops.boxes import bbox2delta, bbox_overlaps

__all__ = ['label_box', 'subsample_labels', 'rpn_anchor_target', 'generate_proposal_target',
           'sample_bbox']


def _mask_crowd(iou: paddle.Tensor, is_crowd: paddle.Tensor,
                ignore_thresh: float) -> paddle.Tensor:
    """Crowd rows get IoU -1 (never matched); with ignore_thresh, candidates overlapping a
    crowd box by more than it get -1 in every row (ignored)."""
    mask = is_crowd.reshape([-1, 1]).cast(iou.dtype) * paddle.ones([iou.shape[1]], iou.dtype)
    if ignore_thresh > 0:
        near = ((iou * mask) > ignore_thresh).cast('int32').sum(axis=0) > 0
        valid = near.cast(iou.dtype)
        iou = iou * (1 - valid) - valid
    return iou * (1 - mask) - mask


def label_box(candidates: paddle.Tensor, gt_boxes: paddle.Tensor, positive_overlap: float,
              negative_overlap: float, allow_low_quality: bool, ignore_thresh: float = -1.,
              is_crowd: Optional[paddle.Tensor] = None
              ) -> Tuple[paddle.Tensor, paddle.Tensor]:
    """(matched gt index [N] int64, label [N] int32 in {1, 0, -1}) for `candidates` [N, 4]."""
    iou = bbox_overlaps(gt_boxes, candidates)  # [G, N]
    n_gt = gt_boxes.shape[0]
    n_crowd = 0
    if n_gt and is_crowd is not None:
        n_crowd = int(paddle.nonzero(is_crowd).shape[0])
    if iou.shape[0] == 0 or n_crowd == n_gt:
        n = candidates.shape[0]
        return paddle.zeros([n], 'int64'), paddle.zeros([n], 'int32')
    if n_crowd:
        iou = _mask_crowd(iou, is_crowd, ignore_thresh)
    matched_vals, matches = paddle.topk(iou, k=1, axis=0)
    labels = paddle.full(matches.shape, -1, dtype='int32')
    background = paddle.logical_and(matched_vals > -1, matched_vals < negative_overlap)
    labels = paddle.where(background, paddle.zeros_like(labels), labels)
    labels = paddle.where(matched_vals >= positive_overlap, paddle.ones_like(labels), labels)
    if allow_low_quality:
        best_per_gt = iou.max(axis=1, keepdim=True)
        is_best = paddle.logical_and(iou > 0, iou == best_per_gt).cast('int32')
        labels = paddle.where(is_best.sum(0, keepdim=True) > 0, paddle.ones_like(labels), labels)
    return matches.flatten(), labels.flatten()


def _pick(candidates: paddle.Tensor, count: int, use_random: bool) -> paddle.Tensor:
    candidates = candidates.cast('int32').flatten()
    if use_random:
        order = paddle.randperm(candidates.numel(), dtype='int32')[:count]
        return paddle.gather(candidates, order)
    return candidates[:count]


def subsample_labels(labels: paddle.Tensor, num_samples: int, fg_fraction: float,
                     bg_label: int = 0, use_random: bool = True
                     ) -> Tuple[paddle.Tensor, paddle.Tensor]:
    """Indices (int32) of the sampled positives and negatives of `labels` (-1 = ignore,
    `bg_label` = background, anything else = foreground)."""
    positive = paddle.nonzero(paddle.logical_and(labels != -1, labels != bg_label))
    negative = paddle.nonzero(labels == bg_label)
    fg_num = min(int(positive.numel()), int(num_samples * fg_fraction))
    bg_num = min(int(negative.numel()), num_samples - fg_num)
    empty = paddle.zeros([0], dtype='int32')
    if fg_num == 0 and bg_num == 0:
        return empty, empty
    bg_inds = _pick(negative, bg_num, use_random)
    if fg_num == 0:
        return empty, bg_inds
    return _pick(positive, fg_num, use_random), bg_inds


def rpn_anchor_target(anchors: paddle.Tensor, gt_boxes: Sequence[paddle.Tensor],
                      batch_size_per_im: int, positive_overlap: float,
                      negative_overlap: float, fg_fraction: float, use_random: bool = True,
                      ignore_thresh: float = -1., is_crowd: Optional[Sequence] = None,
                      weights: Sequence[float] = (1., 1., 1., 1.)):
    """Per image: labels [A] (1 sampled foreground, 0 sampled background, -1 not sampled),
    matched boxes [A, 4] and regression targets [A, 4] for every anchor."""
    labels_out, boxes_out, deltas_out = [], [], []
    for i, gt in enumerate(gt_boxes):
        crowd = is_crowd[i] if is_crowd is not None else None
        matches, match_labels = label_box(anchors, gt, positive_overlap, negative_overlap,
                                          True, ignore_thresh, crowd)
        fg_inds, bg_inds = subsample_labels(match_labels, batch_size_per_im, fg_fraction, 0,
                                            use_random)
        labels = paddle.full(match_labels.shape, -1, dtype='int32')
        if bg_inds.shape[0] > 0:
            labels = paddle.scatter(labels, bg_inds, paddle.zeros_like(bg_inds))
        if fg_inds.shape[0] > 0:
            labels = paddle.scatter(labels, fg_inds, paddle.ones_like(fg_inds))
        if gt.shape[0] == 0:
            matched = paddle.zeros([matches.shape[0], 4])
            deltas = paddle.zeros([matches.shape[0], 4])
        else:
            matched = paddle.gather(gt, matches)
            deltas = bbox2delta(anchors, matched, weights)
        for t in (labels, matched, deltas):
            t.stop_gradient = True
        labels_out.append(labels)
        boxes_out.append(matched)
        deltas_out.append(deltas)
    return labels_out, boxes_out, deltas_out


def sample_bbox(matches: paddle.Tensor, match_labels: paddle.Tensor,
                gt_classes: paddle.Tensor, batch_size_per_im: int, fg_fraction: float,
                num_classes: int, use_random: bool = True, is_cascade: bool = False
                ) -> Tuple[paddle.Tensor, paddle.Tensor]:
    """(sampled indices, their class: 0..C-1 foreground, C background, -1 ignored)."""
    if gt_classes.shape[0] == 0:
        classes = paddle.ones(matches.shape, dtype='int32') * num_classes
    else:
        classes = paddle.gather(gt_classes, matches)
        classes = paddle.where(match_labels == 0, paddle.ones_like(classes) * num_classes,
                               classes)
        classes = paddle.where(match_labels == -1, paddle.ones_like(classes) * -1, classes)
    if is_cascade:
        return paddle.arange(matches.shape[0]), classes
    fg_inds, bg_inds = subsample_labels(classes, int(batch_size_per_im), fg_fraction,
                                        num_classes, use_random)
    if fg_inds.shape[0] == 0 and bg_inds.shape[0] == 0:
        sampled = paddle.zeros([1], dtype='int32')  # nothing to learn: one row labelled -1
    else:
        sampled = paddle.concat([fg_inds, bg_inds])
    return sampled, paddle.gather(classes, sampled)


def generate_proposal_target(rpn_rois: Sequence[paddle.Tensor],
                             gt_classes: Sequence[paddle.Tensor],
                             gt_boxes: Sequence[paddle.Tensor], batch_size_per_im: int,
                             fg_fraction: float, fg_thresh: float, bg_thresh: float,
                             num_classes: int, ignore_thresh: float = -1.,
                             is_crowd: Optional[Sequence] = None, use_random: bool = True,
                             is_cascade: bool = False, cascade_iou: float = 0.5,
                             add_gt_as_proposals: bool = True):
    """Per image: the sampled RoIs (proposals plus the ground-truth boxes themselves), their
    classes, matched boxes and matched ground-truth indices; and the RoI count per image."""
    if is_cascade:
        fg_thresh = bg_thresh = cascade_iou
    rois_out: List[paddle.Tensor] = []
    labels_out, boxes_out, gt_inds_out, counts = [], [], [], []
    for i, rois in enumerate(rpn_rois):
        gt = gt_boxes[i]
        crowd = is_crowd[i] if is_crowd is not None else None
        classes = paddle.squeeze(gt_classes[i], axis=-1)
        boxes = paddle.concat([rois, gt]) if add_gt_as_proposals and gt.shape[0] > 0 else rois
        matches, match_labels = label_box(boxes, gt, fg_thresh, bg_thresh, False,
                                          ignore_thresh, crowd)
        sampled, sampled_classes = sample_bbox(matches, match_labels, classes,
                                               batch_size_per_im, fg_fraction, num_classes,
                                               use_random, is_cascade)
        sampled_rois = boxes if is_cascade else paddle.gather(boxes, sampled)
        sampled_gt = matches if is_cascade else paddle.gather(matches, sampled)
        if gt.shape[0] > 0:
            matched_boxes = paddle.gather(gt, sampled_gt)
        else:
            matched_boxes = paddle.zeros([sampled_rois.shape[0], 4], dtype='float32')
        for t in (sampled_rois, sampled_gt, matched_boxes):
            t.stop_gradient = True
        rois_out.append(sampled_rois)
        labels_out.append(sampled_classes)
        boxes_out.append(matched_boxes)
        gt_inds_out.append(sampled_gt)
        counts.append(int(sampled.shape[0]))
    rois_num = paddle.to_tensor(counts, dtype='int32')
    return rois_out, labels_out, boxes_out, gt_inds_out, rois_num
