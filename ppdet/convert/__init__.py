"""Converters from VOC, labelme and Cityscapes annotations to COCO JSON (`tools/x2coco.py`).

Use `convert(ConvertOptions(...))`; it returns a `ConversionReport` that lists everything
clipped, dropped or refused, with file and reason. See docs/X2COCO.md.
"""
from ppdet.convert.options import ConvertOptions, DATASET_TYPES
from ppdet.convert.pipeline import convert, read_label_list
from ppdet.convert.report import ConversionReport, SplitStats
from ppdet.convert.records import Issue

__all__ = ['ConvertOptions', 'DATASET_TYPES', 'convert', 'read_label_list', 'ConversionReport',
           'SplitStats', 'Issue']
