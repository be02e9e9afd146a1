"""YOLOv3: backbone -> YOLOv3FPN -> YOLOv3Head, decoded by YOLOBox and MultiClassNMS."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import paddle
import paddle.nn as nn

from ppdet.core.workspace import register
from ppdet.modeling.architectures.meta_arch import BaseArch
from ppdet.modeling.class_layout import ClassLayout

__all__ = ['YOLOv3']

_YOLO_LAYOUT = ClassLayout(prefix=5, per_class=1, background=None)


@register
class YOLOv3(BaseArch):
    """Training inputs: `image`, `gt_bbox` [B,M,4] normalised cx,cy,w,h and `target0..2`
    from Gt2YoloTarget. Eval output: boxes already in original-image pixels (YOLOBox decodes
    against `im_shape / scale_factor`), so no rescale step follows NMS.
    """
    __shared__ = ['data_format']
    __inject__ = {'backbone': 'DarkNet', 'neck': 'YOLOv3FPN', 'yolo_head': 'YOLOv3Head',
                  'post_process': 'BBoxPostProcess'}
    class_layouts = {f'yolo_head.yolo_output.{i}': _YOLO_LAYOUT for i in range(3)}

    def __init__(self, backbone: nn.Layer, neck: nn.Layer, yolo_head: nn.Layer,
                 post_process: Optional[Any] = None, data_format: str = 'NCHW',
                 for_mot: bool = False):
        super().__init__(data_format=data_format)
        self.backbone = backbone
        self.neck = neck
        self.yolo_head = yolo_head
        self.post_process = post_process
        self.for_mot = for_mot

    @classmethod
    def from_config(cls, cfg: Dict[str, Any], create: Callable[..., Any],
                    input_shape: Any = None) -> Dict[str, Any]:
        """The neck is built on the backbone's output shapes, the head on the neck's."""
        backbone = create(cfg['backbone'])
        neck = create(cfg['neck'], input_shape=backbone.out_shape)
        head = create(cfg['yolo_head'], input_shape=neck.out_shape)
        return {'backbone': backbone, 'neck': neck, 'yolo_head': head}

    def _head_inputs(self):
        return self.neck(self.backbone(self.inputs))

    def get_loss(self) -> Dict[str, paddle.Tensor]:
        return self.yolo_head(self._head_inputs(), self.inputs)

    def get_pred(self) -> Dict[str, paddle.Tensor]:
        head_outs = self.yolo_head(self._head_inputs())
        bbox, bbox_num = self.post_process(head_outs, self.yolo_head.mask_anchors,
                                           self.inputs['im_shape'],
                                           self.inputs['scale_factor'])
        return {'bbox': bbox, 'bbox_num': bbox_num}
