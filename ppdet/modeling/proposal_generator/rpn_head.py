"""Region Proposal Network head: a shared 3x3 conv, then per anchor an objectness logit and four
box deltas on every level; proposals from `ProposalGenerator`, loss from `RPNTargetAssign`.

Loss: binary cross-entropy over the sampled anchors plus L1 on the foreground deltas, both
summed and divided by `batch_size_per_im * images` (`loss_rpn_cls`, `loss_rpn_reg`).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import paddle
import paddle.nn as nn
import paddle.nn.functional as F
from paddle import ParamAttr
from paddle.nn.initializer import Normal

from ppdet.core.workspace import register
from ppdet.modeling.layers.fast_conv import Conv2D
from ppdet.modeling.ops.traced_shapes import best_rows, row_count, tracing
from ppdet.modeling.proposal_generator.anchor_generator import AnchorGenerator
from ppdet.modeling.proposal_generator.proposal_generator import ProposalGenerator
from ppdet.modeling.proposal_generator.target_layer import RPNTargetAssign
from ppdet.modeling.shape_spec import channels_of

__all__ = ['RPNHead', 'RPNFeat']


def _normal(std: float) -> ParamAttr:
    return ParamAttr(initializer=Normal(mean=0., std=std))


class RPNFeat(nn.Layer):
    """The shared 3x3 conv + ReLU (`rpn_conv`), applied to every level."""

    def __init__(self, feat_in: int = 1024, feat_out: int = 1024):
        super().__init__()
        self.rpn_conv = Conv2D(feat_in, feat_out, 3, padding=1, weight_attr=_normal(0.01))

    def forward(self, feats: Sequence[paddle.Tensor]) -> List[paddle.Tensor]:
        return [F.relu(self.rpn_conv(f)) for f in feats]


def _built(value: Any, cls: type) -> Any:
    """PaddleDetection configs give these parts as nameless mappings of their arguments."""
    if value is None:
        return cls()
    return cls(**value) if isinstance(value, dict) else value


def _flatten_levels(maps: Sequence[paddle.Tensor], width: int) -> paddle.Tensor:
    """[B, A*width, H, W] per level -> [B, sum(H*W*A), width], position-major like anchors."""
    return paddle.concat([m.transpose([0, 2, 3, 1]).reshape([m.shape[0], -1, width])
                          for m in maps], axis=1)


@register
class RPNHead(nn.Layer):
    """Args:
        anchor_generator, rpn_target_assign, train_proposal, test_proposal: the parts, as
            mappings of their arguments (or built objects).
        in_channel: channels of the maps (from the neck's or backbone's output shapes).
        loss_rpn_bbox: a box loss for the foreground deltas instead of plain L1.
    """
    __shared__ = ['export_onnx']
    __inject__ = {'anchor_generator': 'AnchorGenerator', 'rpn_target_assign': 'RPNTargetAssign',
                  'train_proposal': 'ProposalGenerator', 'test_proposal': 'ProposalGenerator',
                  'loss_rpn_bbox': None}

    def __init__(self, anchor_generator: Union[Dict, AnchorGenerator, None] = None,
                 rpn_target_assign: Union[Dict, RPNTargetAssign, None] = None,
                 train_proposal: Union[Dict, ProposalGenerator, None] = None,
                 test_proposal: Union[Dict, ProposalGenerator, None] = None,
                 in_channel: int = 1024, export_onnx: bool = False,
                 loss_rpn_bbox: Optional[Any] = None):
        super().__init__()
        self.anchor_generator = _built(anchor_generator, AnchorGenerator)
        self.rpn_target_assign = _built(rpn_target_assign, RPNTargetAssign)
        self.train_proposal = _built(train_proposal, ProposalGenerator)
        self.test_proposal = _built(test_proposal, ProposalGenerator)
        self.export_onnx = export_onnx
        self.loss_rpn_bbox = loss_rpn_bbox
        num_anchors = self.anchor_generator.num_anchors
        self.rpn_feat = RPNFeat(in_channel, in_channel)
        self.rpn_rois_score = Conv2D(in_channel, num_anchors, 1, weight_attr=_normal(0.01))
        self.rpn_rois_delta = Conv2D(in_channel, 4 * num_anchors, 1, weight_attr=_normal(0.01))

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        """The conv width is that of the maps it runs on (every level has the same)."""
        return {} if input_shape is None else {'in_channel': channels_of(input_shape)[0]}

    def forward(self, feats: Sequence[paddle.Tensor], inputs: Dict[str, Any]):
        """-> (rois: list of [R_i, 4] per image, rois_num [B] int32, losses or None)."""
        rpn_feats = self.rpn_feat(feats)
        scores = [self.rpn_rois_score(f) for f in rpn_feats]
        deltas = [self.rpn_rois_delta(f) for f in rpn_feats]
        anchors = self.anchor_generator(rpn_feats)
        rois, rois_num = self._proposals(scores, deltas, anchors, inputs['im_shape'])
        if not self.training:
            return rois, rois_num, None
        return rois, rois_num, self.get_loss(scores, deltas, anchors, inputs)

    def _proposals(self, scores, deltas, anchors, im_shape) -> Tuple[List, paddle.Tensor]:
        generator = self.train_proposal if self.training else self.test_proposal
        rois_per_image, counts = [], []
        for i in range(im_shape.shape[0]):
            level_rois, level_probs = [], []
            for score, delta, anchor in zip(scores, deltas, anchors):
                rois, probs = generator(score[i:i + 1], delta[i:i + 1], anchor,
                                        im_shape[i:i + 1])
                level_rois.append(rois)
                level_probs.append(probs)
            rois, probs = paddle.concat(level_rois), paddle.concat(level_probs).flatten()
            if len(level_rois) > 1:
                keep = best_rows(probs, generator.post_nms_top_n)
                if keep is not None:
                    rois = paddle.gather(rois, keep)
            rois_per_image.append(rois)
            counts.append(row_count(rois))
        if tracing():  # exported programs take one image (infer_cfg.yml says so)
            return rois_per_image, paddle.concat(counts)
        return rois_per_image, paddle.to_tensor(counts, dtype='int32')

    def get_loss(self, scores, deltas, anchors, inputs) -> Dict[str, paddle.Tensor]:
        anchors = paddle.concat([a.reshape([-1, 4]) for a in anchors])
        logits = _flatten_levels(scores, 1).reshape([-1])
        pred_deltas = _flatten_levels(deltas, 4).reshape([-1, 4])
        labels, _, target_deltas, norm = self.rpn_target_assign(inputs, anchors)
        labels = paddle.concat(labels)
        valid = paddle.nonzero(labels >= 0)
        if valid.shape[0] == 0:
            loss_cls = paddle.zeros([1], dtype='float32')
        else:
            target = paddle.gather(labels, valid).cast('float32')
            loss_cls = F.binary_cross_entropy_with_logits(paddle.gather(logits, valid),
                                                          target, reduction='sum')
        positive = paddle.nonzero(labels == 1)
        if positive.shape[0] == 0:
            loss_reg = paddle.zeros([1], dtype='float32')
        else:
            pred = paddle.gather(pred_deltas, positive)
            target = paddle.gather(paddle.concat(target_deltas), positive)
            target.stop_gradient = True
            if self.loss_rpn_bbox is None:
                loss_reg = paddle.abs(pred - target).sum()
            else:
                loss_reg = self.loss_rpn_bbox(pred, target).sum()
        return {'loss_rpn_cls': loss_cls / norm, 'loss_rpn_reg': loss_reg / norm}
