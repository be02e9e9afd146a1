"""Errors of the deployment tools (printed as one line by the tools, never a traceback)."""
from __future__ import annotations

import importlib
from typing import Any

from ppdet.core.errors import PPDetError

__all__ = ['DeployError', 'import_optional']

# module -> (pip package, what needs it)
_OPTIONAL = {
    'onnxruntime': ('onnxruntime', 'running model.onnx (--runtime onnx)'),
    'paddle2onnx': ('paddle2onnx', 'writing model.onnx (tools/export_model.py --onnx)'),
}


class DeployError(PPDetError):
    """An exported model folder, its infer_cfg.yml or a deploy option cannot be used."""


def import_optional(module: str) -> Any:
    """Import an optional dependency, or raise DeployError with the one-line remedy.

    ONNX export and ONNX Runtime inference are optional: the rest of the project works without
    paddle2onnx and onnxruntime, so they are not runtime requirements.
    """
    package, purpose = _OPTIONAL[module]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise DeployError(f'{module} is not installed; it is needed for {purpose}: '
                          f'pip install {package}') from None
