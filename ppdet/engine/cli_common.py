"""What every tool does first: read `-c/-o`, show what the config carries unused, pick a device."""
from __future__ import annotations

import argparse
from typing import Any, Tuple

from ppdet.core.cli import load_from_args
from ppdet.engine.distributed import select_device

__all__ = ['prepare_run']


def prepare_run(args: argparse.Namespace) -> Tuple[Any, str]:
    """The resolved config (notices printed) and the device it runs on ('cpu' or 'gpu:N')."""
    cfg = load_from_args(args)
    for notice in cfg.notices:
        print(f'note: {notice}')
    return cfg, select_device(bool(cfg.get('use_gpu', True)))
