"""Necks: every module in this folder is imported here so its classes register."""
from ppdet.modeling._autoimport import import_all as _import_all

_import_all(__name__, __path__)
