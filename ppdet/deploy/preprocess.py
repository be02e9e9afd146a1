"""Preprocessing from infer_cfg.yml's `Preprocess` list, with the project's own transforms.

The exported list names the TestReader's operators with all their arguments. Building the
same registered classes here (after the same Decode) gives inputs identical to what
`tools/infer.py` feeds the dynamic model, so the two can be compared value for value. Only
deterministic operators are accepted: a random one in a deployment config is a mistake.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Sequence

import numpy as np

from ppdet.core.errors import ConfigError
from ppdet.deploy.errors import DeployError

__all__ = ['SUPPORTED_OPS', 'Preprocessor', 'build_preprocess']

# inference transforms: deterministic, image-only
SUPPORTED_OPS = ('Resize', 'NormalizeImage', 'Permute', 'Pad', 'PadBatch')
_FEEDS = ('image', 'im_shape', 'scale_factor')


def build_preprocess(items: Sequence[Mapping[str, Any]], source: str) -> List[Any]:
    """Operator instances for `items` ({type: Name, arg: value}); `source` names the file."""
    from ppdet.core.workspace import create
    ops = []
    for i, item in enumerate(items):
        name = item.get('type')
        if name not in SUPPORTED_OPS:
            raise DeployError(f'{source}: Preprocess[{i}] type {name!r} is not supported for '
                              f'deployment here; supported: {", ".join(SUPPORTED_OPS)}')
        args = {k: v for k, v in item.items() if k != 'type'}
        try:
            ops.append(create({'name': name, **args}, {}))
        except (ConfigError, TypeError, ValueError) as e:
            raise DeployError(f'{source}: Preprocess[{i}] ({name}): {e}') from None
    return ops


class Preprocessor:
    """Files -> model feeds (`image` [N,3,H,W], `im_shape`, `scale_factor`, float32)."""

    def __init__(self, ops: Sequence[Any]) -> None:
        from ppdet.data.transform.decode import Decode
        self.ops = [Decode()] + list(ops)

    def __call__(self, files: Sequence[str]) -> Dict[str, np.ndarray]:
        """DatasetError (naming the file) when an image cannot be read or decoded."""
        from ppdet.data.reader.collate import collate
        from ppdet.data.transform.base import apply_ops
        samples = [{'im_file': f, 'im_id': i} for i, f in enumerate(files)]
        samples = apply_ops(self.ops, samples, np.random.default_rng(0))  # deterministic ops
        batch = collate(samples)
        missing = [k for k in _FEEDS if not isinstance(batch.get(k), np.ndarray)]
        if missing:
            raise DeployError(f'Preprocess does not give stackable {", ".join(missing)} for '
                              f'{len(files)} images: add Resize (keep_ratio: false) or PadBatch')
        if batch['image'].ndim != 4 or batch['image'].shape[1] != 3:
            raise DeployError(f'Preprocess gives images of shape {batch["image"].shape}; the '
                              f'model needs [N, 3, H, W]: end the list with Permute')
        return {k: np.ascontiguousarray(batch[k], dtype=np.float32) for k in _FEEDS}
