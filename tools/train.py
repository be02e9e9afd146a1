"""Train a detector: python tools/train.py -c cfg.yml [-o key=value ...] [--eval] [-r ckpt]
(all flags: python tools/train.py --help; the code is ppdet/cli/train.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ppdet.cli import run  # noqa: E402

if __name__ == '__main__':
    sys.exit(run('train'))
