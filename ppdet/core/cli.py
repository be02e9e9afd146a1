"""The `-c/-o` command-line convention shared by every tool."""
from __future__ import annotations

import argparse
import sys
from typing import Callable, List, Optional

from ppdet.core.errors import PPDetError
from ppdet.core.overrides import flatten_override_args

__all__ = ['add_config_args', 'load_from_args', 'run_tool']


def add_config_args(parser: argparse.ArgumentParser, required: bool = True) -> None:
    """`-c/--config` and `-o/--opt` (repeatable; `-o` alone is allowed, as in PaddleDetection)."""
    parser.add_argument('-c', '--config', required=required, help='config file (YAML)')
    parser.add_argument('-o', '--opt', nargs='*', action='append', default=[],
                        metavar='KEY=VALUE',
                        help='override config values; may repeat: -o a=1 b=2 -o c=3')


def override_items(args: argparse.Namespace) -> List[str]:
    return flatten_override_args(args.opt)


def load_from_args(args: argparse.Namespace):
    """load_config + merge_config for `-c` and every `-o` item."""
    from ppdet.core.workspace import load_config, merge_config
    cfg = load_config(args.config, validate=False)
    return merge_config(cfg, override_items(args))


def run_tool(main: Callable[[Optional[List[str]]], int], argv: Optional[List[str]] = None) -> int:
    """Run a tool's main; user errors print as one message (no traceback) and exit 2."""
    try:
        return int(main(argv) or 0)
    except PPDetError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print('interrupted', file=sys.stderr)
        return 130
