"""`save_checkpoint`: everything needed to continue exactly, written so a crash cannot break it.

Files for prefix `out/yolov3/epoch_12`:
- `epoch_12.pdparams` — the model state dict only, readable by plain `paddle.load`;
- `epoch_12.pdopt`    — optimizer state (accumulators under structured names, LR scheduler);
- `epoch_12.pdstate`  — epoch/step, RNG states, EMA weights, extra scheduler state;
- `epoch_12.meta.json` — what the checkpoint is (architecture, class names, resolved config,
  versions) and the size/mtime of the three files above plus a save id stored in `.pdstate`.
Each file is written to a temporary name, fsynced and renamed; the metadata is written last and
`latest_checkpoint.txt` in the directory moves only after everything is in place. A crash
mid-save leaves the previous `latest` intact, and a half-replaced prefix is detected on resume
(the metadata no longer describes the files).
"""
from __future__ import annotations

import os
import pickle
import time
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence

import paddle

from ppdet.checkpoint.metadata import (FORMAT_NAME, FORMAT_VERSION, META_SUFFIX, atomic_write,
                                       atomic_write_json, prefix_of)
from ppdet.checkpoint.state import capture_rng, optimizer_state_to_structured, to_numpy_tree

__all__ = ['save_checkpoint', 'CheckpointFiles', 'LATEST_POINTER']

LATEST_POINTER = 'latest_checkpoint.txt'
_PROTOCOL = 4


@dataclass(frozen=True)
class CheckpointFiles:
    prefix: str
    pdparams: str
    pdopt: Optional[str]
    pdstate: str
    meta: str


def _dump(path: str, obj: Any) -> None:
    atomic_write(path, lambda f: pickle.dump(obj, f, protocol=_PROTOCOL))


def _stat(path: str) -> Dict[str, int]:
    st = os.stat(path)
    return {'size': st.st_size, 'mtime_ns': st.st_mtime_ns}


def _version() -> str:
    try:
        import ppdet
        return str(getattr(ppdet, '__version__', 'unknown'))
    except Exception:  # pragma: no cover - ppdet is importable when this runs
        return 'unknown'


def save_checkpoint(prefix: str, model: paddle.nn.Layer, optimizer: Any = None, *,
                    epoch: int = 0, step: int = 0, lr_scheduler: Any = None, ema: Any = None,
                    architecture: Optional[str] = None,
                    class_names: Optional[Sequence[str]] = None,
                    config_text: Optional[str] = None,
                    extra: Optional[Mapping[str, Any]] = None,
                    update_latest: bool = True) -> CheckpointFiles:
    """Save model, optimizer, scheduler position, epoch/step, EMA, RNG and metadata atomically.

    `epoch`/`step` are the *completed* epoch and global iteration counts, so a resumed run
    starts at the next one. `lr_scheduler` is for a scheduler the optimizer does not own (the
    optimizer's own scheduler is saved with it). `ema` may be a dict of tensors or an object
    with `state_dict()`. `extra` holds any further plain data (numbers, strings, arrays).
    """
    prefix = prefix_of(prefix)
    save_id = uuid.uuid4().hex
    files: Dict[str, Dict[str, int]] = {}

    pdparams = prefix + '.pdparams'
    _dump(pdparams, {k: v.numpy() for k, v in model.state_dict().items()})
    files['.pdparams'] = _stat(pdparams)

    pdopt = None
    opt_unmapped: Sequence[str] = ()
    if optimizer is not None:
        pdopt = prefix + '.pdopt'
        opt_state, opt_unmapped = optimizer_state_to_structured(optimizer.state_dict(), model)
        _dump(pdopt, opt_state)
        files['.pdopt'] = _stat(pdopt)

    ema_state = None
    if ema is not None:
        ema_state = to_numpy_tree(ema.state_dict() if hasattr(ema, 'state_dict') else dict(ema))
    trainer_state = {
        'save_id': save_id, 'epoch': int(epoch), 'step': int(step), 'rng': capture_rng(),
        'ema': ema_state,
        'lr_scheduler': to_numpy_tree(lr_scheduler.state_dict()) if lr_scheduler else None,
        'extra': to_numpy_tree(dict(extra or {})),
    }
    pdstate = prefix + '.pdstate'
    _dump(pdstate, trainer_state)
    files['.pdstate'] = _stat(pdstate)

    meta = {
        'format': FORMAT_NAME, 'format_version': FORMAT_VERSION, 'save_id': save_id,
        'ppdet_version': _version(), 'paddle_version': paddle.__version__,
        'architecture': architecture, 'class_names': list(class_names) if class_names else None,
        'config_text': config_text, 'epoch': int(epoch), 'step': int(step),
        'created': time.strftime('%Y-%m-%dT%H:%M:%S%z'), 'files': files,
        'optimizer_keys_not_renamed': list(opt_unmapped),
    }
    meta_path = prefix + META_SUFFIX
    atomic_write_json(meta_path, meta)
    if update_latest:
        pointer = os.path.join(os.path.dirname(os.path.abspath(prefix)), LATEST_POINTER)
        name = os.path.basename(prefix).encode('utf-8') + b'\n'
        atomic_write(pointer, lambda f: f.write(name))
    return CheckpointFiles(prefix, pdparams, pdopt, pdstate, meta_path)
