"""The README's first command: python tools/demo.py [--offline] [--output_dir DIR] [-o k=v ...]

Trains a detector on the shipped BCCD data (fine-tuning the zoo weights when they can be
fetched, from scratch otherwise), evaluates it on the test split and draws example detections.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppdet.core.cli import run_tool  # noqa: E402
from ppdet.engine.demo import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(run_tool(main))
