"""Data layer: datasets (COCO, VOC, image folders), transforms, readers, dataset checks.

Importing this package registers every dataset, transform and reader class with the config
system; nothing else happens at import.
"""
from ppdet.data import reader, source, transform  # noqa: F401
from ppdet.data.num_classes import check_num_classes  # noqa: F401
from ppdet.data.reader import EvalReader, TestReader, TrainReader  # noqa: F401
from ppdet.data.source import COCODataSet, DetDataset, ImageFolder, VOCDataSet  # noqa: F401
from ppdet.data.summary import DatasetSummary, render_summary  # noqa: F401
from ppdet.data.image_integrity import verify_images  # noqa: F401
