"""`tools/check_dataset.py`: build the datasets of a config and print, in one pass, what was
loaded, fixed and refused.

    python tools/check_dataset.py -c configs/datasets/bccd_voc.yml [-o k=v ...] [--decode]

Every problem is listed and counted (unknown labels, missing, unreadable and truncated images,
bad boxes). Exit status 0 when nothing is refused, 1 when anything is (with --strict also when
the loader had to clip or drop boxes), 2 on an error in the config (printed without traceback).
"""
from __future__ import annotations

import argparse
from typing import List, Optional

from ppdet.cli.parser import ToolParser
from ppdet.core.cli import add_config_args, load_from_args

__all__ = ['main', 'build_parser']


def build_parser() -> ToolParser:
    parser = ToolParser(prog='tools/check_dataset.py', description=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument('--decode', action='store_true',
                        help='also decode every image with the training decoder (slower; '
                        'truncated files are found without it)')
    parser.add_argument('--no-verify', action='store_true',
                        help='skip reading image headers (only existence is checked)')
    parser.add_argument('--strict', action='store_true',
                        help='boxes the loader clips or drops fail the check too')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from ppdet.core.workspace import create
    from ppdet.data.dataset_report import check_datasets
    cfg = load_from_args(args)
    text, ok = check_datasets(cfg, create, verify=not args.no_verify, decode=args.decode,
                              strict=args.strict)
    print(text)
    return 0 if ok else 1
