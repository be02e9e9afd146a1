"""Datasets: annotation formats turned into records; importing registers the classes."""
from ppdet.data.source.coco import COCODataSet  # noqa: F401
from ppdet.data.source.dataset import DetDataset  # noqa: F401
from ppdet.data.source.image_folder import ImageFolder  # noqa: F401
from ppdet.data.source.voc import VOCDataSet  # noqa: F401
