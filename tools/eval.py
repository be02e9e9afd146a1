"""Evaluate trained weights: python tools/eval.py -c cfg.yml -o weights=path [--output_eval dir]
(all flags: --help; the code is ppdet/cli/eval.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ppdet.cli import run  # noqa: E402

if __name__ == '__main__':
    sys.exit(run('eval'))
