"""Turn a reader batch (numpy arrays, or lists of them) into model inputs."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np
import paddle

__all__ = ['to_model_inputs']

_KEEP_AS_IS = ('im_file', 'curr_iter', 'class_names', 'gt_poly')  # gt_poly: nested lists


def to_model_inputs(batch: Dict[str, Any]) -> Dict[str, Any]:
    """Arrays become tensors on the current device; lists become lists of tensors."""
    out: Dict[str, Any] = {}
    for key, value in batch.items():
        if key in _KEEP_AS_IS:
            out[key] = value
        elif isinstance(value, np.ndarray):
            out[key] = paddle.to_tensor(value)
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], np.ndarray):
            out[key] = [paddle.to_tensor(v) for v in value]
        else:
            out[key] = value
    return out
