"""The command-line layer: one module per tool, each with `build_parser()` and `main(argv)`.

    train.py           tools/train.py            inspect_weights.py  tools/inspect_weights.py
    eval.py            tools/eval.py             print_config.py     tools/print_config.py
    infer.py           tools/infer.py            demo.py             tools/demo.py
    x2coco.py          tools/x2coco.py           check_dataset.py    tools/check_dataset.py
    export_model.py    tools/export_model.py
    parser.py          PaddleDetection's flag forms: booleans, refused flags, one-line errors
    common.py          what every main does first: threads, config, notes, device

`tools/<name>.py` only calls `run('<name>')`. Importing this package imports no Paddle and
changes nothing in the process; a tool's `main` chooses threads, then loads the config.
"""
from __future__ import annotations

import importlib
from typing import List, Optional

__all__ = ['run']


def run(tool: str, argv: Optional[List[str]] = None) -> int:
    """Run `ppdet.cli.<tool>.main(argv)`: user errors print as one `error:` line, exit 2."""
    from ppdet.core.cli import run_tool
    return run_tool(importlib.import_module(f'ppdet.cli.{tool}').main, argv)
