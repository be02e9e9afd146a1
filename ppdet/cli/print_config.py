"""`tools/print_config.py`: a resolved config and where every value came from.

    python tools/print_config.py -c configs/yolov3/yolov3_darknet53_270e_coco.yml -o epoch=10
"""
from __future__ import annotations

import argparse
from typing import List, Optional

from ppdet.cli.parser import ToolParser
from ppdet.core.cli import add_config_args

__all__ = ['main', 'build_parser']


def build_parser() -> ToolParser:
    parser = ToolParser(prog='tools/print_config.py', description=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument('--plain', action='store_true',
                        help='print plain YAML without sources (what runs record)')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from ppdet.cli.common import config_notes, load_tool_config
    from ppdet.core.workspace import annotated_yaml, resolved_yaml
    cfg = load_tool_config(args)
    print(resolved_yaml(cfg) if args.plain else annotated_yaml(cfg), end='')
    print(f'# files: {" -> ".join(cfg.files)}')
    for note in config_notes(cfg):
        print(f'# {note}')
    return 0
