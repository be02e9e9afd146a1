"""Multi-class NMS through Paddle's own `multiclass_nms3` kernel.

PaddleDetection relies on this framework op; calling the same kernel (rather than a Python NMS)
keeps our detections identical bit for bit, including its tie-breaking: per class, candidates
ranked by score with stable sorts; across classes, a stable re-rank by score before the
`keep_top_k` cut; output grouped by ascending class.

In dynamic mode with `keep_top_k > -1` and dense-head layouts, `fast_nms` computes the same
output without running the full per-class NMS (see its docstring for why it is exact).
"""
from __future__ import annotations

from typing import Optional, Tuple, Union

import numpy as np
import paddle

from ppdet.core.workspace import register
from ppdet.modeling.ops.fast_nms import fast_multiclass_nms_numpy, fast_path_supported

__all__ = ['MultiClassNMS', 'multiclass_nms']


def _static_legacy(bboxes, scores, rois_num, attrs):
    """Old static-graph programs (paddle 2.x without PIR) need the op appended by hand."""
    from paddle.base.layer_helper import LayerHelper  # type: ignore
    helper = LayerHelper('multiclass_nms3')
    output = helper.create_variable_for_type_inference(dtype=bboxes.dtype)
    index = helper.create_variable_for_type_inference(dtype='int32')
    inputs = {'BBoxes': bboxes, 'Scores': scores}
    outputs = {'Out': output, 'Index': index}
    if rois_num is not None:
        inputs['RoisNum'] = rois_num
    nms_rois_num = helper.create_variable_for_type_inference(dtype='int32')
    outputs['NmsRoisNum'] = nms_rois_num
    helper.append_op(type='multiclass_nms3', inputs=inputs, attrs=attrs, outputs=outputs)
    output.stop_gradient = True
    index.stop_gradient = True
    return output, index, nms_rois_num


def multiclass_nms(bboxes: paddle.Tensor, scores: paddle.Tensor,
                   score_threshold: float, nms_top_k: int, keep_top_k: int,
                   nms_threshold: float = 0.3, normalized: bool = True, nms_eta: float = 1.0,
                   background_label: int = -1, rois_num: Optional[paddle.Tensor] = None
                   ) -> Tuple[paddle.Tensor, paddle.Tensor, paddle.Tensor]:
    """Run the kernel; returns (out [N,6] rows `class, score, x1, y1, x2, y2`,
    index [N,1] into the flattened candidates, rois_num [B] int32 rows per image).

    Layouts: `bboxes` [B, M, 4] with `scores` [B, C, M] (dense heads), or `bboxes` [M, C, 4]
    with `scores` [M, C] and `rois_num` [B] (R-CNN). `normalized=False` adds 1 to widths
    (pixel-inclusive boxes).
    """
    if fast_path_supported(bboxes, scores, rois_num, keep_top_k, nms_eta):
        boxes_np = bboxes.numpy()
        if not np.isnan(boxes_np).any():  # NaN boxes: min/max conventions may differ
            out, index, num = fast_multiclass_nms_numpy(
                boxes_np, scores.numpy(), score_threshold, nms_top_k, keep_top_k,
                nms_threshold, normalized, background_label)
            return paddle.to_tensor(out), paddle.to_tensor(index), paddle.to_tensor(num)
    in_pir = False
    try:
        in_pir = paddle.framework.in_pir_mode()
    except AttributeError:
        pass
    if paddle.in_dynamic_mode() or in_pir:
        out, index, nms_rois_num = paddle._C_ops.multiclass_nms3(
            bboxes, scores, rois_num, float(score_threshold), int(nms_top_k), int(keep_top_k),
            float(nms_threshold), bool(normalized), float(nms_eta), int(background_label))
    else:
        attrs = {'background_label': int(background_label),
                 'score_threshold': float(score_threshold), 'nms_top_k': int(nms_top_k),
                 'nms_threshold': float(nms_threshold), 'keep_top_k': int(keep_top_k),
                 'nms_eta': float(nms_eta), 'normalized': bool(normalized)}
        out, index, nms_rois_num = _static_legacy(bboxes, scores, rois_num, attrs)
    return out, index, nms_rois_num


@register
class MultiClassNMS:
    """Per-class NMS as configured in PaddleDetection configs (`nms: MultiClassNMS`).

    Called as `nms(bboxes, scores, background_label)`; `bboxes` may be a tuple
    `(boxes, rois_num)` for R-CNN layouts. Returns `(bbox_pred, bbox_num, index)`;
    `index` is None unless `return_index`.
    """

    def __init__(self, score_threshold: float = 0.05, nms_top_k: int = -1,
                 keep_top_k: int = 100, nms_threshold: float = 0.5, normalized: bool = True,
                 nms_eta: float = 1.0, background_label: int = -1, return_index: bool = False,
                 return_rois_num: bool = True, trt: bool = False):
        self.score_threshold = score_threshold
        self.nms_top_k = nms_top_k
        self.keep_top_k = keep_top_k
        self.nms_threshold = nms_threshold
        self.normalized = normalized
        self.nms_eta = nms_eta
        self.background_label = background_label
        self.return_index = return_index
        self.return_rois_num = return_rois_num
        self.trt = trt  # accepted for config compatibility; the kernel is the same

    def __call__(self, bboxes: Union[paddle.Tensor, tuple], scores: paddle.Tensor,
                 background_label: int = -1):
        rois_num = None
        if isinstance(bboxes, (tuple, list)):
            bboxes, rois_num = bboxes
        bg = background_label if background_label > -1 else self.background_label
        out, index, nms_rois_num = multiclass_nms(
            bboxes, scores, self.score_threshold, self.nms_top_k, self.keep_top_k,
            self.nms_threshold, self.normalized, self.nms_eta, bg, rois_num)
        return out, nms_rois_num, (index if self.return_index else None)
