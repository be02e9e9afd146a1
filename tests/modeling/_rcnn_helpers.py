"""Small anchor-based detectors built by hand from the real components, and BCCD samples.

The structure is that of the zoo configs (ResNet + FPN + RPN + two-FC box head; ResNet + FPN
P3..P7 + RetinaHead) at a size that trains in seconds on one CPU thread: ResNet-18 with
trainable BatchNorm (from scratch, frozen statistics of random weights blow up), a 64-wide
pyramid whose inputs come from the backbone's shapes.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List

import numpy as np
import paddle

ROOT = Path(__file__).resolve().parents[2]
BCCD = ROOT / 'dataset' / 'bccd'
NAMES = ['RBC', 'WBC', 'Platelets']
MEAN = np.array([0.485, 0.456, 0.406], 'float32')
STD = np.array([0.229, 0.224, 0.225], 'float32')


def bccd_sample(stem: str, size: int) -> Dict[str, np.ndarray]:
    """One BCCD image resized to size x size, normalised CHW, with boxes in input pixels
    (`gt_bbox`) and original pixels (`orig_bbox`)."""
    import cv2
    img = cv2.imread(str(BCCD / 'JPEGImages' / f'{stem}.jpg'))
    assert img is not None, f'{stem}.jpg is missing from {BCCD}'
    h0, w0 = img.shape[:2]
    img = cv2.resize(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), (size, size),
                     interpolation=cv2.INTER_LINEAR)
    boxes, classes = [], []
    for obj in ET.parse(str(BCCD / 'Annotations' / f'{stem}.xml')).findall('object'):
        bb = obj.find('bndbox')
        box = [float(bb.find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
        if box[2] > box[0] and box[3] > box[1]:
            boxes.append(box)
            classes.append(NAMES.index(obj.find('name').text.strip()))
    boxes = np.array(boxes, 'float32')
    scale = np.array([size / w0, size / h0] * 2, 'float32')
    return {'image': ((img.astype('float32') / 255. - MEAN) / STD).transpose(2, 0, 1),
            'gt_bbox': boxes * scale, 'orig_bbox': boxes,
            'gt_class': np.array(classes, 'int32').reshape(-1, 1),
            'im_shape': np.array([size, size], 'float32'),
            'scale_factor': np.array([size / h0, size / w0], 'float32')}


def batch_of(samples: List[Dict[str, np.ndarray]]) -> Dict[str, object]:
    """Model inputs as the R-CNN readers give them: boxes and classes as per-image lists."""
    out: Dict[str, object] = {k: paddle.to_tensor(np.stack([s[k] for s in samples]))
                              for k in ('image', 'im_shape', 'scale_factor')}
    out['gt_bbox'] = [paddle.to_tensor(s['gt_bbox']) for s in samples]
    out['gt_class'] = [paddle.to_tensor(s['gt_class']) for s in samples]
    return out


def _backbone(return_idx):
    from ppdet.modeling.backbones.resnet import ResNet
    return ResNet(depth=18, freeze_at=-1, freeze_norm=False, norm_decay=0.,
                  return_idx=return_idx)


def small_rpn_parts():
    """ResNet-18, a 64-wide FPN and an RPN, seeded: the first stage every small R-CNN shares.
    Returns (backbone, neck, rpn, RoIAlign scales of the FPN levels)."""
    from ppdet.modeling.necks.fpn import FPN
    from ppdet.modeling.proposal_generator.anchor_generator import AnchorGenerator
    from ppdet.modeling.proposal_generator.proposal_generator import ProposalGenerator
    from ppdet.modeling.proposal_generator.rpn_head import RPNHead
    paddle.seed(0)
    backbone = _backbone([0, 1, 2, 3])
    neck = FPN([s.channels for s in backbone.out_shape], out_channel=64,
               spatial_scales=[1 / s.stride for s in backbone.out_shape])
    strides = [s.stride for s in neck.out_shape]
    rpn = RPNHead(AnchorGenerator([[32], [64], [128], [256], [512]], [0.5, 1., 2.], strides),
                  {'batch_size_per_im': 256, 'use_random': False},
                  ProposalGenerator(1000, 300, 0.7, 0., topk_after_collect=True),
                  ProposalGenerator(1000, 300, 0.7, 0.), in_channel=64)
    return backbone, neck, rpn, [1 / s for s in strides]


def small_faster_rcnn(num_classes: int, score_threshold: float = 0.05):
    from ppdet.modeling.architectures.faster_rcnn import FasterRCNN
    from ppdet.modeling.heads.bbox_head import BBoxHead, TwoFCHead
    from ppdet.modeling.heads.roi_extractor import RoIAlign
    from ppdet.modeling.ops.nms import MultiClassNMS
    from ppdet.modeling.ops.rcnn_box import RCNNBox
    from ppdet.modeling.post_process import BBoxPostProcess
    from ppdet.modeling.proposal_generator.target_layer import BBoxAssigner
    backbone, neck, rpn, scales = small_rpn_parts()
    head = TwoFCHead(64, 256)
    bbox_head = BBoxHead(head, 256, RoIAlign(7, scales, aligned=True),
                         BBoxAssigner(128, use_random=False, num_classes=num_classes),
                         num_classes=num_classes)
    post = BBoxPostProcess(num_classes, RCNNBox(num_classes=num_classes),
                           MultiClassNMS(score_threshold, -1, 100, 0.5))
    return FasterRCNN(backbone, rpn, bbox_head, post, neck=neck)


def small_retinanet(num_classes: int):
    from ppdet.modeling.architectures.retinanet import RetinaNet
    from ppdet.modeling.assigners.max_iou_assigner import MaxIoUAssigner
    from ppdet.modeling.heads.retina_head import RetinaFeat, RetinaHead
    from ppdet.modeling.losses.focal_loss import FocalLoss
    from ppdet.modeling.losses.smooth_l1_loss import SmoothL1Loss
    from ppdet.modeling.necks.fpn import FPN
    from ppdet.modeling.ops.nms import MultiClassNMS
    from ppdet.modeling.proposal_generator.anchor_generator import RetinaAnchorGenerator
    paddle.seed(0)
    backbone = _backbone([1, 2, 3])
    neck = FPN([s.channels for s in backbone.out_shape], out_channel=64,
               spatial_scales=[1 / s.stride for s in backbone.out_shape], extra_stage=2,
               has_extra_convs=True, use_c5=False)
    head = RetinaHead(num_classes, RetinaFeat(64, 64, num_convs=2, norm_type=None),
                      RetinaAnchorGenerator(), MaxIoUAssigner(0.5, 0.4), FocalLoss(),
                      SmoothL1Loss(beta=0.), MultiClassNMS(0.05, 1000, 100, 0.5))
    return RetinaNet(backbone, neck, head)


def voc_ap50(model, samples: List[Dict[str, np.ndarray]], num_classes: int) -> float:
    """VOC 11-point AP at IoU 0.5 of `model` on `samples`, by ppdet.metrics."""
    from ppdet.metrics.voc_map import DetectionMAP
    model.eval()
    metric = DetectionMAP(class_num=num_classes, overlap_thresh=0.5, map_type='11point')
    for s in samples:
        with paddle.no_grad():
            out = model({k: paddle.to_tensor(s[k][None])
                         for k in ('image', 'im_shape', 'scale_factor')})
        metric.update(out['bbox'].numpy(), s['orig_bbox'], s['gt_class'].reshape(-1))
    return metric.accumulate()
