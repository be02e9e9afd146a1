"""Cascade R-CNN's box head (Cai and Vasconcelos, 2018): three box stages in a row, each trained
at a higher IoU and run on the boxes the stage before refined.

Stage k pools the RoIs, runs its own feature head (`CascadeTwoFCHead` keeps one `TwoFCHead`
per stage: `head.{k}.fc6`, `head.{k}.fc7`), then predicts C+1 class logits
(`bbox_score_stage{k}`, background last) and, by default, one class-agnostic box delta per RoI
(`bbox_delta_stage{k}`, 4 outputs) with the stage's coder weights `bbox_weight[k]`
(10,10,5,5 / 20,20,10,10 / 30,30,15,15). Its decoded boxes, clipped to the image, are the next
stage's RoIs.

Training: stage 0 samples RoIs as Faster R-CNN does (proposals plus ground truth); stages 1
and 2 relabel every refined RoI at IoU `cascade_iou[k]` of the assigner (no sampling, no
ground truth added), after dropping empty boxes. Each stage's two losses are suffixed
`_stage{k}` and weighted by `stage_loss_weights` (1/3 each by default).

Test: the class probabilities are the mean of the three stages' softmaxes; the boxes are the
last stage's deltas on the last stage's RoIs (`refined_rois`), decoded by the post-process
(`RCNNBox` with the last stage's weights).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Normal

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.heads.bbox_head import BBoxHead, TwoFCHead, rcnn_box_loss
from ppdet.modeling.heads.roi_extractor import RoIAlign
from ppdet.modeling.ops.boxes import clip_to_shape, delta2bbox
from ppdet.modeling.post_process import nonempty_mask
from ppdet.modeling.shape_spec import ShapeSpec, channels_of

__all__ = ['CascadeTwoFCHead', 'CascadeHead']

DEFAULT_STAGE_WEIGHTS = [[10., 10., 5., 5.], [20., 20., 10., 10.], [30., 30., 15., 15.]]


@register
class CascadeTwoFCHead(nn.Layer):
    """One `TwoFCHead` per stage; `forward(rois_feat, stage)` runs that stage's."""
    __shared__ = ['num_cascade_stage']

    def __init__(self, in_channel: int = 256, out_channel: int = 1024, resolution: int = 7,
                 num_cascade_stage: int = 3):
        super().__init__()
        self.in_channel = in_channel
        self.out_channel = out_channel
        # sublayers named '0', '1', ... so parameters are `head.{k}.fc6.weight` as in
        # PaddleDetection's checkpoints
        self.head_list = [self.add_sublayer(str(k), TwoFCHead(in_channel, out_channel,
                                                              resolution))
                          for k in range(num_cascade_stage)]

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        return {} if input_shape is None else {'in_channel': channels_of(input_shape)[0]}

    @property
    def out_shape(self) -> List[ShapeSpec]:
        return [ShapeSpec(channels=self.out_channel)]

    def forward(self, rois_feat: paddle.Tensor, stage: int = 0) -> paddle.Tensor:
        return self.head_list[stage](rois_feat)


def _per_image(boxes: paddle.Tensor, counts: Sequence[int]) -> List[paddle.Tensor]:
    """Rows of `boxes` split into consecutive blocks of `counts` rows (a block may be empty)."""
    if len(counts) == 1:
        return [boxes]
    starts = [sum(counts[:i]) for i in range(len(counts))]
    return [boxes[s:s + n] for s, n in zip(starts, counts)]


def _linear(in_channel: int, out_channel: int, std: float) -> nn.Linear:
    return nn.Linear(in_channel, out_channel,
                     weight_attr=ParamAttr(initializer=Normal(mean=0., std=std)))


@register
class CascadeHead(nn.Layer):
    """Args:
        head: the per-stage feature head (`CascadeTwoFCHead`), called as `head(x, stage)`.
        in_channel: the head's output width (from the head when built from a config).
        roi_extractor: `RoIAlign` arguments (its scales come from the maps' shapes).
        bbox_assigner: `BBoxAssigner` (stage k > 0 uses its `cascade_iou[k]`).
        num_classes: foreground classes C.
        bbox_weight: the box coder weights of each stage.
        num_cascade_stages: number of stages.
        bbox_loss: a box loss instead of plain L1.
        reg_class_agnostic: one delta per RoI (True) or 4 per class; with class-specific
            deltas the intermediate stages refine with the deltas of their top class.
        stage_loss_weights: loss weight of each stage (default 1 / stages each).
        add_gt_as_proposals: per stage, whether the ground-truth boxes join the RoIs.
    """
    __shared__ = ['num_classes', 'num_cascade_stages']
    __inject__ = {'head': None, 'roi_extractor': 'RoIAlign', 'bbox_assigner': 'BBoxAssigner',
                  'bbox_loss': None}

    def __init__(self, head: nn.Layer, in_channel: int = 1024, roi_extractor: Any = None,
                 bbox_assigner: Any = None, num_classes: int = 80,
                 bbox_weight: List[List[float]] = DEFAULT_STAGE_WEIGHTS,
                 num_cascade_stages: int = 3, bbox_loss: Optional[Any] = None,
                 reg_class_agnostic: bool = True,
                 stage_loss_weights: Optional[List[float]] = None,
                 loss_normalize_pos: bool = False,
                 add_gt_as_proposals: List[bool] = [True, False, False]):
        super().__init__()
        _check_stage_lists(num_cascade_stages, bbox_weight, stage_loss_weights,
                           add_gt_as_proposals, loss_normalize_pos)
        self.head = head
        self.roi_extractor = (RoIAlign(**roi_extractor) if isinstance(roi_extractor, dict)
                              else roi_extractor or RoIAlign())
        self.bbox_assigner = bbox_assigner
        self.num_classes = num_classes
        self.bbox_weight = [list(w) for w in bbox_weight]
        self.num_cascade_stages = num_cascade_stages
        self.bbox_loss = bbox_loss
        self.reg_class_agnostic = reg_class_agnostic
        self.stage_loss_weights = (list(stage_loss_weights) if stage_loss_weights is not None
                                   else [1. / num_cascade_stages] * num_cascade_stages)
        self.add_gt_as_proposals = list(add_gt_as_proposals)
        num_deltas = 4 if reg_class_agnostic else 4 * num_classes
        self.bbox_score_list, self.bbox_delta_list = [], []
        for k in range(num_cascade_stages):
            self.bbox_score_list.append(self.add_sublayer(
                f'bbox_score_stage{k}', _linear(in_channel, num_classes + 1, 0.01)))
            self.bbox_delta_list.append(self.add_sublayer(
                f'bbox_delta_stage{k}', _linear(in_channel, num_deltas, 0.001)))
        self.assigned_rois: Tuple = ()
        self.assigned_targets: Tuple = ()
        self.refined_rois: List[paddle.Tensor] = []

    from_config = classmethod(BBoxHead.from_config.__func__)

    def forward(self, feats: Sequence[paddle.Tensor], rois: List[paddle.Tensor],
                rois_num: paddle.Tensor, inputs: Optional[Dict[str, Any]] = None):
        """Training: (losses, last stage's head features); eval: ((last stage's deltas,
        mean class probabilities), head) with `refined_rois` set to the last stage's RoIs."""
        stage_targets = []
        if self.training:
            rois, rois_num, targets = self.bbox_assigner(
                rois, rois_num, inputs, add_gt_as_proposals=self.add_gt_as_proposals[0])
            self.assigned_rois, self.assigned_targets = (rois, rois_num), targets
            stage_targets.append(targets)
        outs = []
        for stage in range(self.num_cascade_stages):
            if stage > 0:
                rois, rois_num = self._refined(outs[-1], inputs['im_shape'], stage)
                if self.training:
                    rois, rois_num, targets = self.bbox_assigner(
                        rois, rois_num, inputs, stage, is_cascade=True,
                        add_gt_as_proposals=self.add_gt_as_proposals[stage])
                    stage_targets.append(targets)
            feat = self.head(self.roi_extractor(feats, rois, rois_num), stage)
            scores = self.bbox_score_list[stage](feat)
            deltas = self._stage_deltas(self.bbox_delta_list[stage](feat), scores, stage)
            outs.append((scores, deltas, rois))
        if self.training:
            return self._losses(outs, stage_targets), feat
        probs = paddle.add_n([F.softmax(scores) for scores, _, _ in outs])
        probs = probs / self.num_cascade_stages
        _, deltas, self.refined_rois = outs[-1]
        return (deltas, probs), self.head

    def _stage_deltas(self, deltas: paddle.Tensor, scores: paddle.Tensor,
                      stage: int) -> paddle.Tensor:
        """Class-specific deltas of an intermediate stage: those of its top foreground class
        refine the RoIs."""
        if self.reg_class_agnostic or stage == self.num_cascade_stages - 1:
            return deltas
        top = paddle.argmax(scores[:, :-1], axis=-1)
        per_class = deltas.reshape([deltas.shape[0], self.num_classes, 4])
        rows = paddle.arange(deltas.shape[0])
        return paddle.gather_nd(per_class, paddle.stack([rows, top], axis=1))

    def _refined(self, previous, im_shape: paddle.Tensor, stage: int):
        """The previous stage's boxes, clipped to each image, as this stage's RoIs; in
        training empty boxes are dropped (one box is kept if all are)."""
        _, deltas, rois = previous
        counts = [int(r.shape[0]) for r in rois]
        boxes = paddle.concat(rois) if len(rois) > 1 else rois[0]
        boxes = delta2bbox(deltas, boxes, self.bbox_weight[stage - 1]).reshape([-1, 4])
        out = []
        for i, per_image in enumerate(_per_image(boxes, counts)):
            per_image = clip_to_shape(per_image, im_shape[i, 0], im_shape[i, 1])
            if self.training:
                keep = paddle.nonzero(nonempty_mask(per_image)).flatten()
                if keep.shape[0] == 0:
                    keep = paddle.zeros([1], dtype='int64')
                per_image = paddle.gather(per_image, keep)
            out.append(per_image.detach())
        return out, paddle.to_tensor([int(r.shape[0]) for r in out], dtype='int32')

    def _losses(self, outs, stage_targets) -> Dict[str, paddle.Tensor]:
        losses: Dict[str, paddle.Tensor] = {}
        for stage, ((scores, deltas, rois), targets) in enumerate(zip(outs, stage_targets)):
            labels, boxes, _ = targets
            stage_loss = rcnn_box_loss(scores, deltas, labels, boxes, rois, self.num_classes,
                                       self.bbox_weight[stage], self.bbox_loss)
            for name, value in stage_loss.items():
                losses[f'{name}_stage{stage}'] = value * self.stage_loss_weights[stage]
        return losses


def _check_stage_lists(stages: int, bbox_weight, stage_loss_weights, add_gt,
                       loss_normalize_pos: bool) -> None:
    """Every per-stage list must have one entry per stage."""
    if loss_normalize_pos:
        raise ConfigError('CascadeHead.loss_normalize_pos: true is not supported here')
    for name, value in (('bbox_weight', bbox_weight), ('stage_loss_weights', stage_loss_weights),
                        ('add_gt_as_proposals', add_gt)):
        if value is not None and len(value) != stages:
            raise ConfigError(f'CascadeHead.{name} has {len(value)} entries but '
                              f'num_cascade_stages is {stages}: give one per stage')
