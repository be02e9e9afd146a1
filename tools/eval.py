"""Evaluate trained weights: python tools/eval.py -c cfg.yml -o weights=path [--output_eval dir]."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppdet.utils.threads import use_cpu_threads  # noqa: E402

print(use_cpu_threads())  # before Paddle is imported

from ppdet.core.cli import run_tool  # noqa: E402
from ppdet.engine.cli_eval import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(run_tool(main))
