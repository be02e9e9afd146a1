"""Transforms: importing registers every operator a reader config may name."""
from ppdet.data.transform.base import BaseOperator, BatchOperator, apply_ops  # noqa: F401
from ppdet.data.transform.batch import BatchRandomResize, Gt2YoloTarget, PadBatch  # noqa: F401
from ppdet.data.transform.boxes import BboxXYXY2XYWH, NormalizeBox, PadBox  # noqa: F401
from ppdet.data.transform.crop import RandomCrop, RandomResizeCrop  # noqa: F401
from ppdet.data.transform.decode import Decode  # noqa: F401
from ppdet.data.transform.geometric import (Pad, RandomExpand, RandomFlip,  # noqa: F401
                                            RandomResize, Resize)
from ppdet.data.transform.mixup import Mixup  # noqa: F401
from ppdet.data.transform.photometric import NormalizeImage, Permute, RandomDistort  # noqa: F401
