"""Matching of anchors to ground-truth boxes: every module here is imported so its classes
register."""
from ppdet.modeling._autoimport import import_all as _import_all

_import_all(__name__, __path__)
