"""Print a resolved config and where every value came from.

    python tools/print_config.py -c configs/yolov3/yolov3_darknet53_270e_coco.yml -o epoch=10
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppdet.core.cli import add_config_args, load_from_args, run_tool  # noqa: E402
from ppdet.core.workspace import annotated_yaml, resolved_yaml  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument('--plain', action='store_true',
                        help='print plain YAML without sources (what runs record)')
    args = parser.parse_args(argv)
    cfg = load_from_args(args)
    print(resolved_yaml(cfg) if args.plain else annotated_yaml(cfg), end='')
    print(f'# files: {" -> ".join(cfg.files)}')
    for notice in cfg.notices:
        print(f'# note: {notice}')
    return 0


if __name__ == '__main__':
    sys.exit(run_tool(main))
