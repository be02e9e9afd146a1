"""Small Cascade R-CNN / Mask R-CNN built by hand from the real components, BCCD images with
instance polygons, and COCO box/mask AP50 of a model on them.

The polygons are drawn here, not read: BCCD cells are round, so each object gets the ellipse
inscribed in its box as a 24-point polygon (in original pixels, then scaled with the image).
The models have the structure of the zoo configs at the width of `_rcnn_helpers`'
Faster R-CNN (ResNet-18, a 64-wide FPN), so they train in seconds on one CPU thread.
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np
import paddle

from tests.modeling._rcnn_helpers import batch_of, bccd_sample, small_rpn_parts

MASK_SIZE = 28


def ellipse_polygon(box, points: int = 24) -> List[float]:
    """Flat [x1, y1, ...] of the ellipse inscribed in the xyxy `box`."""
    x1, y1, x2, y2 = (float(v) for v in box)
    t = np.arange(points) * (2 * np.pi / points)
    xs = (x1 + x2) / 2 + (x2 - x1) / 2 * np.cos(t)
    ys = (y1 + y2) / 2 + (y2 - y1) / 2 * np.sin(t)
    return np.stack([xs, ys], 1).reshape(-1).tolist()


def bccd_instance_sample(stem: str, size: int) -> Dict[str, object]:
    """`bccd_sample` plus one ellipse polygon per object, in input (`gt_poly`) and original
    (`orig_poly`) pixels, as the readers give them: a list of polygons per object."""
    s = bccd_sample(stem, size)
    sx, sy = float(s['scale_factor'][1]), float(s['scale_factor'][0])
    s['orig_poly'] = [[ellipse_polygon(b)] for b in s['orig_bbox']]
    s['gt_poly'] = [[(np.array(p[0]).reshape(-1, 2) * [sx, sy]).reshape(-1)]
                    for p in s['orig_poly']]
    return s


def instance_batch(samples: List[Dict[str, object]]) -> Dict[str, object]:
    batch = batch_of(samples)
    batch['gt_poly'] = [s['gt_poly'] for s in samples]
    return batch


def _parts(num_classes: int):
    from ppdet.modeling.proposal_generator.target_layer import BBoxAssigner
    backbone, neck, rpn, scales = small_rpn_parts()
    assigner = BBoxAssigner(128, fg_fraction=0.5, use_random=False, num_classes=num_classes)
    return backbone, neck, rpn, assigner, scales


def _post(num_classes: int, weights, score_threshold: float):
    from ppdet.modeling.ops.nms import MultiClassNMS
    from ppdet.modeling.ops.rcnn_box import RCNNBox
    from ppdet.modeling.post_process import BBoxPostProcess
    return BBoxPostProcess(num_classes, RCNNBox(weights, num_classes=num_classes),
                           MultiClassNMS(score_threshold, -1, 100, 0.5))


def _mask_parts(num_classes: int, scales):
    from ppdet.modeling.heads.mask_head import MaskFeat, MaskHead
    from ppdet.modeling.heads.roi_extractor import RoIAlign
    from ppdet.modeling.ops.mask_post_process import MaskPostProcess
    from ppdet.modeling.proposal_generator.mask_target import MaskAssigner
    head = MaskHead(MaskFeat(64, 32, num_convs=1),
                    RoIAlign(MASK_SIZE // 2, scales, aligned=True),
                    MaskAssigner(num_classes, MASK_SIZE), num_classes)
    return head, MaskPostProcess(0.5)


def small_mask_rcnn(num_classes: int, score_threshold: float = 0.05):
    from ppdet.modeling.architectures.mask_rcnn import MaskRCNN
    from ppdet.modeling.heads.bbox_head import BBoxHead, TwoFCHead
    from ppdet.modeling.heads.roi_extractor import RoIAlign
    backbone, neck, rpn, assigner, scales = _parts(num_classes)
    bbox_head = BBoxHead(TwoFCHead(64, 256), 256, RoIAlign(7, scales, aligned=True), assigner,
                         num_classes=num_classes)
    mask_head, mask_post = _mask_parts(num_classes, scales)
    return MaskRCNN(backbone, rpn, bbox_head, mask_head,
                    _post(num_classes, [10., 10., 5., 5.], score_threshold), mask_post, neck)


def small_cascade_rcnn(num_classes: int, with_mask: bool = False,
                       score_threshold: float = 0.05):
    from ppdet.modeling.architectures.cascade_rcnn import CascadeRCNN
    from ppdet.modeling.heads.cascade_head import CascadeHead, CascadeTwoFCHead
    from ppdet.modeling.heads.roi_extractor import RoIAlign
    backbone, neck, rpn, assigner, scales = _parts(num_classes)
    bbox_head = CascadeHead(CascadeTwoFCHead(64, 256), 256, RoIAlign(7, scales, aligned=True),
                            assigner, num_classes=num_classes)
    mask_head, mask_post = _mask_parts(num_classes, scales) if with_mask else (None, None)
    return CascadeRCNN(backbone, rpn, bbox_head,
                       _post(num_classes, [30., 30., 15., 15.], score_threshold), neck=neck,
                       mask_head=mask_head, mask_post_process=mask_post)


def _coco_gt(samples, num_classes: int) -> dict:
    from pycocotools import mask as mask_util
    images, anns = [], []
    for i, s in enumerate(samples):
        h, w = (int(round(v)) for v in s['im_shape'] / s['scale_factor'])
        images.append({'id': i, 'height': h, 'width': w})
        for box, cls, poly in zip(s['orig_bbox'], s['gt_class'].reshape(-1), s['orig_poly']):
            rle = mask_util.merge(mask_util.frPyObjects(poly, h, w))
            anns.append({'id': len(anns) + 1, 'image_id': i, 'category_id': int(cls) + 1,
                         'bbox': [float(box[0]), float(box[1]), float(box[2] - box[0]),
                                  float(box[3] - box[1])],
                         'area': float(mask_util.area(rle)), 'iscrowd': 0,
                         'segmentation': poly})
    return {'images': images, 'annotations': anns,
            'categories': [{'id': c + 1, 'name': f'class{c}'} for c in range(num_classes)]}


def _results(model, samples, num_classes: int) -> Tuple[List[dict], List[dict]]:
    from pycocotools import mask as mask_util
    from ppdet.metrics.coco_eval import detections_to_coco
    model.eval()
    boxes, masks = [], []
    for i, s in enumerate(samples):
        with paddle.no_grad():
            out = model({k: paddle.to_tensor(s[k][None])
                         for k in ('image', 'im_shape', 'scale_factor')})
        bbox = out['bbox'].numpy()
        boxes += detections_to_coco(bbox, out['bbox_num'].numpy(), [i],
                                    {c: c + 1 for c in range(num_classes)})
        for row, m in zip(bbox, out['mask'].numpy() if 'mask' in out else []):
            if row[0] < 0:
                continue
            rle = mask_util.encode(np.asfortranarray(m.astype(np.uint8)))
            masks.append({'image_id': i, 'category_id': int(row[0]) + 1, 'segmentation': rle,
                          'score': float(row[1])})
    return boxes, masks


def coco_ap50(model, samples, num_classes: int) -> Tuple[float, float]:
    """COCO AP at IoU 0.5 of the boxes and of the masks (0 without masks): pycocotools'
    COCOeval, `bbox` through ppdet.metrics, `segm` directly (no mask metric there yet)."""
    import contextlib
    import io
    from pycocotools.cocoeval import COCOeval
    from ppdet.metrics.coco_eval import evaluate_bbox, load_coco_gt
    gt = load_coco_gt(_coco_gt(samples, num_classes))
    boxes, masks = _results(model, samples, num_classes)
    names = {c + 1: f'class{c}' for c in range(num_classes)}
    box_ap50 = float(evaluate_bbox(gt, boxes, names)[0][1]) if boxes else 0.
    if not masks:
        return box_ap50, 0.
    with contextlib.redirect_stdout(io.StringIO()):
        ev = COCOeval(gt, gt.loadRes(masks), 'segm')
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return box_ap50, float(ev.stats[1])
