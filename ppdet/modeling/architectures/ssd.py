"""SSD: backbone maps -> SSDHead (box/score convs + prior boxes) -> SSDBox decode + NMS.

The class logits of every prior are C+1 wide with the background LAST (column C), and the
post-processing passes `num_classes` (= C) to NMS as the background label, so that column is
never reported. Boxes leave the decoder in original-image pixels: no rescale after NMS.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import paddle
import paddle.nn as nn

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register
from ppdet.modeling.architectures.meta_arch import BaseArch
from ppdet.modeling.class_layout import ClassLayout

__all__ = ['SSD']

_SSD_SCORES = ClassLayout(prefix=0, per_class=1, background='last')


@register
class SSD(BaseArch):
    """Training inputs: `image`, `gt_bbox` [B,G,4] normalised xyxy (NormalizeBox + PadBox),
    `gt_class` [B,G,1]; returns `{'loss': ...}`. Eval: `{'bbox', 'bbox_num'}`.

    `r34_backbone`: with a ResNet-34 backbone, make its third stage stride 1 (the SSD-R34
    layout), as PaddleDetection does.
    """
    __inject__ = {'backbone': 'MobileNet', 'ssd_head': 'SSDHead',
                  'post_process': 'BBoxPostProcess'}
    class_layouts = {f'ssd_head.scores{i}': _SSD_SCORES for i in range(6)}

    def __init__(self, backbone: nn.Layer, ssd_head: nn.Layer,
                 post_process: Optional[Any] = None, r34_backbone: bool = False):
        super().__init__()
        self.backbone = backbone
        self.ssd_head = ssd_head
        self.post_process = post_process
        self.r34_backbone = r34_backbone
        if r34_backbone:
            self._make_r34_stride_one()

    def _make_r34_stride_one(self) -> None:
        if getattr(self.backbone, 'depth', None) != 34:
            raise ConfigError('SSD.r34_backbone: true needs a ResNet backbone with depth 34')
        try:
            block = self.backbone.res_layers[2].blocks[0]
            block.branch2a.conv._stride = [1, 1]
            block.short.conv._stride = [1, 1]
        except (AttributeError, IndexError) as e:
            raise ConfigError(f'SSD.r34_backbone: backbone has no res_layers[2].blocks[0] '
                              f'with branch2a/short convs ({e})') from e

    @classmethod
    def from_config(cls, cfg: Dict[str, Any], create: Callable[..., Any],
                    input_shape: Any = None) -> Dict[str, Any]:
        """The head's predictor convs are built on the backbone's output shapes."""
        backbone = create(cfg['backbone'])
        head = create(cfg['ssd_head'], input_shape=backbone.out_shape)
        return {'backbone': backbone, 'ssd_head': head}

    def get_loss(self) -> Dict[str, paddle.Tensor]:
        feats = self.backbone(self.inputs)
        loss = self.ssd_head(feats, self.inputs['image'], self.inputs['gt_bbox'],
                             self.inputs['gt_class'])
        return {'loss': loss}

    def get_pred(self) -> Dict[str, paddle.Tensor]:
        feats = self.backbone(self.inputs)
        preds, priors = self.ssd_head(feats, self.inputs['image'])
        bbox, bbox_num = self.post_process(preds, priors, self.inputs['im_shape'],
                                           self.inputs['scale_factor'])[:2]
        return {'bbox': bbox, 'bbox_num': bbox_num}
