"""Detection metrics: VOC mAP (11-point / integral / area) and COCO bbox AP via pycocotools."""
from ppdet.metrics.coco_eval import (STAT_NAMES, detections_to_coco, evaluate_bbox,
                                     load_coco_gt)
from ppdet.metrics.metrics import COCOMetric, Metric, VOCMetric
from ppdet.metrics.table import render_ap_table
from ppdet.metrics.voc_map import MAP_TYPES, DetectionMAP, average_precision, pairwise_iou

__all__ = ['COCOMetric', 'VOCMetric', 'Metric', 'DetectionMAP', 'average_precision',
           'pairwise_iou', 'render_ap_table', 'detections_to_coco', 'evaluate_bbox',
           'load_coco_gt', 'STAT_NAMES', 'MAP_TYPES']
