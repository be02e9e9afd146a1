"""What the R-CNN architectures (Faster, Mask, Cascade) share: a backbone, an optional neck
built on the backbone's maps, and the maps the heads are built on and run on."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import paddle.nn as nn

from ppdet.modeling.architectures.meta_arch import BaseArch

__all__ = ['TwoStageArch', 'backbone_and_neck']


def backbone_and_neck(cfg: Dict[str, Any], create: Callable[..., Any]
                      ) -> Tuple[nn.Layer, Optional[nn.Layer], List[Any]]:
    """(backbone, neck or None, the shapes the heads are built on): the neck learns its input
    from the backbone's maps; the heads from the neck's, or the backbone's without a neck (C4)."""
    backbone = create(cfg['backbone'])
    neck = create(cfg['neck'], input_shape=backbone.out_shape) if cfg.get('neck') else None
    return backbone, neck, (neck.out_shape if neck is not None else backbone.out_shape)


class TwoStageArch(BaseArch):
    """A backbone (-> neck) whose maps feed an RPN and RoI heads."""

    def feature_maps(self):
        """The maps the heads run on: the neck's, or the backbone's without a neck."""
        feats = self.backbone(self.inputs)
        return self.neck(feats) if self.neck is not None else feats

    def multi_scale_settings(self) -> Tuple[int, float, int]:
        """Boxes of several scales merge by NMS; masks cannot (BaseArch refuses)."""
        if getattr(self, 'mask_head', None) is not None:
            return super().multi_scale_settings()
        nms = self.bbox_post_process.nms
        return self.bbox_head.num_classes, nms.nms_threshold, nms.keep_top_k
