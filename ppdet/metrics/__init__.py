"""Detection metrics: VOC mAP (11-point / integral / area) and COCO bbox / segm AP via
pycocotools."""
from ppdet.metrics.coco_eval import (IOU_TYPES, STAT_NAMES, detections_to_coco, evaluate_bbox,
                                     evaluate_coco, load_coco_gt)
from ppdet.metrics.masks import decode_rle, encode_rle, fit_masks, masks_to_coco
from ppdet.metrics.metrics import COCOMetric, Metric, VOCMetric
from ppdet.metrics.table import render_ap_table
from ppdet.metrics.voc_map import MAP_TYPES, DetectionMAP, average_precision, pairwise_iou

__all__ = ['COCOMetric', 'VOCMetric', 'Metric', 'DetectionMAP', 'average_precision',
           'pairwise_iou', 'render_ap_table', 'detections_to_coco', 'evaluate_bbox',
           'evaluate_coco', 'load_coco_gt', 'STAT_NAMES', 'IOU_TYPES', 'MAP_TYPES',
           'encode_rle', 'decode_rle', 'fit_masks', 'masks_to_coco']
