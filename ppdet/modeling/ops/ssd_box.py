"""SSD box decoder: prior boxes + predicted offsets -> boxes in original-image pixels, and
class probabilities laid out for `MultiClassNMS`.

Encoding (center-size with variances v): for a prior (cx, cy, w, h),
`x = cx + d0*v0*w`, `y = cy + d1*v1*h`, `w' = w*exp(d2*v2)`, `h' = h*exp(d3*v3)`.
With normalised priors the boxes are then scaled by the original image size
(`im_shape / scale_factor`), so the NMS output is already in original pixels and needs no
further rescaling (it is not clipped, as in PaddleDetection).
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import paddle
import paddle.nn.functional as F

from ppdet.core.workspace import register

__all__ = ['SSDBox', 'decode_center_size']


def decode_center_size(deltas: paddle.Tensor, priors: paddle.Tensor,
                       variance: Sequence[float], norm_delta: float = 0.) -> paddle.Tensor:
    """deltas [B, M, 4], priors [M, 4] xyxy -> boxes [B, M, 4] xyxy.

    `norm_delta` is 1 for pixel-inclusive (unnormalised) priors, whose width is x2 - x1 + 1.
    """
    pw = priors[:, 2] - priors[:, 0] + norm_delta
    ph = priors[:, 3] - priors[:, 1] + norm_delta
    px = priors[:, 0] + pw * 0.5
    py = priors[:, 1] + ph * 0.5
    cx = px + deltas[:, :, 0] * pw * variance[0]
    cy = py + deltas[:, :, 1] * ph * variance[1]
    w = paddle.exp(deltas[:, :, 2] * variance[2]) * pw
    h = paddle.exp(deltas[:, :, 3] * variance[3]) * ph
    return paddle.stack([cx - w / 2., cy - h / 2., cx + w / 2., cy + h / 2.], axis=-1)


@register
class SSDBox:
    """Decoder named `decode: SSDBox` in SSD configs' `BBoxPostProcess`.

    Args:
        is_normalized: priors are in [0, 1] (true for AnchorGeneratorSSD).
        prior_box_var: the variances of the encoding (module docstring).
        use_fuse_decode: accepted for config compatibility; the decode is the same.
    """

    def __init__(self, is_normalized: bool = True,
                 prior_box_var: List[float] = [0.1, 0.1, 0.2, 0.2],
                 use_fuse_decode: bool = False):
        self.is_normalized = is_normalized
        self.norm_delta = float(not is_normalized)
        self.prior_box_var = [float(v) for v in prior_box_var]
        self.use_fuse_decode = use_fuse_decode

    def __call__(self, preds: Tuple[List[paddle.Tensor], List[paddle.Tensor]],
                 prior_boxes: List[paddle.Tensor], im_shape: paddle.Tensor,
                 scale_factor: paddle.Tensor) -> Tuple[paddle.Tensor, paddle.Tensor]:
        """preds = (box deltas per level [B, N_i, 4], logits per level [B, N_i, C+1]).

        Returns boxes [B, M, 4] (original pixels when normalised) and softmax scores
        [B, C+1, M] (background last).
        """
        boxes, scores = preds
        deltas = paddle.concat(boxes, axis=1)
        priors = paddle.concat(prior_boxes, axis=0)
        out = decode_center_size(deltas, priors, self.prior_box_var, self.norm_delta)
        if self.is_normalized:
            h = (im_shape[:, 0] / scale_factor[:, 0]).unsqueeze(-1)
            w = (im_shape[:, 1] / scale_factor[:, 1]).unsqueeze(-1)
            out = out * paddle.stack([w, h, w, h], axis=-1)
        else:
            out = paddle.concat([out[..., :2], out[..., 2:] - 1.0], axis=-1)
        probs = F.softmax(paddle.concat(scores, axis=1), axis=-1).transpose([0, 2, 1])
        return out, probs
