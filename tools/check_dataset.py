"""Check the datasets of a config: python tools/check_dataset.py -c cfg.yml [--decode] [--strict]
(the code is ppdet/cli/check_dataset.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ppdet.cli import run  # noqa: E402

if __name__ == '__main__':
    sys.exit(run('check_dataset'))
