"""Anchors, the RPN and the assignment of targets to anchors and proposals: every module here
is imported so its classes register."""
from ppdet.modeling._autoimport import import_all as _import_all

_import_all(__name__, __path__)
