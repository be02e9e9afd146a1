"""RoIAlign over one map, or over an FPN with each RoI pooled from the level its size picks.

Level assignment (Paddle's `distribute_fpn_proposals`): k = floor(canonical_level +
log2(sqrt(area) / canonical_size)), clamped to the levels `start_level..end_level` (0 = the
stride-4 map); RoIs are pooled per level and put back in their original order.
"""
from __future__ import annotations

from typing import List, Sequence, Union

import paddle

from ppdet.core.workspace import register
from ppdet.modeling.shape_spec import strides_of

__all__ = ['RoIAlign']

_LEVEL_OFFSET = 2  # level 0 is P2 (stride 4)


@register
class RoIAlign:
    """Args:
        resolution: output size (7 for the FPN box head, 14 for C4's Res5Head).
        spatial_scale: 1/stride per input map (from the maps' shapes when built in a head).
        sampling_ratio: samples per bin side; 0 adapts to the RoI size.
        canconical_level, canonical_size: the level of a 224x224 RoI (name as configs spell it).
        start_level, end_level: FPN levels used.
        aligned: half-pixel offset (True in the zoo's configs).
    """

    def __init__(self, resolution: int = 14,
                 spatial_scale: Union[float, List[float]] = 0.0625, sampling_ratio: int = 0,
                 canconical_level: int = 4, canonical_size: int = 224, start_level: int = 0,
                 end_level: int = 3, aligned: bool = False):
        self.resolution = resolution
        self.spatial_scale = (list(spatial_scale) if isinstance(spatial_scale, (list, tuple))
                              else [spatial_scale])
        self.sampling_ratio = sampling_ratio
        self.canconical_level = canconical_level
        self.canonical_size = canonical_size
        self.start_level = start_level
        self.end_level = end_level
        self.aligned = aligned

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        if input_shape is None:
            return {}
        return {'spatial_scale': [1. / s for s in strides_of(input_shape)]}

    def __call__(self, feats: Sequence[paddle.Tensor], rois: Sequence[paddle.Tensor],
                 rois_num: paddle.Tensor) -> paddle.Tensor:
        """-> [sum(rois_num), C, resolution, resolution]."""
        boxes = paddle.concat(rois) if len(rois) > 1 else rois[0]
        if len(feats) == 1:
            return paddle.vision.ops.roi_align(
                feats[self.start_level], boxes, rois_num, self.resolution,
                spatial_scale=self.spatial_scale[0], aligned=self.aligned)
        per_level, restore, per_level_num = paddle.vision.ops.distribute_fpn_proposals(
            boxes, self.start_level + _LEVEL_OFFSET, self.end_level + _LEVEL_OFFSET,
            self.canconical_level, self.canonical_size, rois_num=rois_num)
        pooled = [paddle.vision.ops.roi_align(
            feats[lvl], per_level[i], per_level_num[i], self.resolution,
            spatial_scale=self.spatial_scale[lvl], sampling_ratio=self.sampling_ratio,
            aligned=self.aligned)
            for i, lvl in enumerate(range(self.start_level, self.end_level + 1))]
        return paddle.gather(paddle.concat(pooled), restore)
