"""Print a resolved config and where every value came from:
python tools/print_config.py -c cfg.yml [-o k=v ...] (code: ppdet/cli/print_config.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ppdet.cli import run  # noqa: E402

if __name__ == '__main__':
    sys.exit(run('print_config'))
