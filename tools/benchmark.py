"""Rerunnable benchmarks: `python tools/benchmark.py {reader,model,x2coco,loader,deploy} ...`."""
import argparse
import importlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppdet.benchmark import SUBCOMMANDS  # noqa: E402
from ppdet.core.errors import PPDetError  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest='bench', required=True)
    modules = {}
    for name, modpath in SUBCOMMANDS.items():
        try:
            mod = importlib.import_module(modpath)
        except ModuleNotFoundError as e:
            if e.name == modpath:
                continue
            raise
        modules[name] = mod
        p = sub.add_parser(name, help=(mod.__doc__ or '').strip().splitlines()[0])
        mod.add_arguments(p)
    args = parser.parse_args()
    try:
        return int(modules[args.bench].run(args) or 0)
    except PPDetError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
