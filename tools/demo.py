"""The README's first command: python tools/demo.py [--offline] [--output_dir DIR] [-o k=v ...]
(code: ppdet/cli/demo.py and ppdet/engine/demo.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ppdet.cli import run  # noqa: E402

if __name__ == '__main__':
    sys.exit(run('demo'))
