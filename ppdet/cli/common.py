"""What every tool's `main` does first, in this order: threads for Paddle's kernels (before
Paddle is imported), the config (`-c`, `-o`; a missing architecture first), its notes once
each, the device (saying so, once, when `use_gpu: true` cannot be honoured)."""
from __future__ import annotations

import argparse
from typing import Any, Callable, Iterable, List, Optional

from ppdet.core.cli import override_items, run_tool

__all__ = ['start', 'load_tool_config', 'config_notes', 'choose_device', 'prepare_run',
           'run_tool']


def start(threads: Optional[int] = None, log: Callable[[str], None] = print) -> None:
    """Give Paddle its CPU threads; the first line a tool prints."""
    from ppdet.utils.threads import use_cpu_threads
    log(use_cpu_threads(threads))


def load_tool_config(args: argparse.Namespace) -> Any:
    """`-c` merged with every `-o` item, then validated; a config of an architecture we do not
    have is refused on that alone, before any other problem is listed."""
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.engine.builders import check_architecture
    cfg = merge_config(load_config(args.config, validate=False), override_items(args),
                       validate=False)
    check_architecture(cfg)
    return merge_config(cfg, None, validate=True)


def config_notes(cfg: Any, acted_on: Iterable[str] = ()) -> List[str]:
    """One note per accepted-but-unused key, except the keys this tool itself acts on."""
    from ppdet.core.validate import validate_config
    skip = set(acted_on)
    notes, seen = [], set()
    for key, why, where in validate_config(cfg).unused:
        if key in skip or key in seen:
            continue
        seen.add(key)
        notes.append(f'note: {key} ({where}): accepted but unused: {why}')
    return notes


def choose_device(cfg: Any, log: Callable[[str], None] = print) -> str:
    """'gpu:N' or 'cpu'; one line when the config asks for a GPU this Paddle cannot use."""
    from ppdet.engine.distributed import gpu_unavailable_reason, select_device
    want_gpu = bool(cfg.get('use_gpu', False))
    device = select_device(want_gpu)
    if want_gpu and device == 'cpu':
        log(f'note: use_gpu: true, but {gpu_unavailable_reason()}: running on the CPU')
    return device


def prepare_run(args: argparse.Namespace, acted_on: Iterable[str] = (),
                log: Callable[[str], None] = print) -> tuple:
    """The validated config (its notes printed) and the device it runs on."""
    cfg = load_tool_config(args)
    for note in config_notes(cfg, acted_on):
        log(note)
    return cfg, choose_device(cfg, log)
