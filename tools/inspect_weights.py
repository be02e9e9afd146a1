"""Show what loading pretrained weights into a config's model would do, then exit:
python tools/inspect_weights.py -c cfg.yml [-o pretrain_weights=path] (code: ppdet/cli/inspect_weights.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ppdet.cli import run  # noqa: E402

if __name__ == '__main__':
    sys.exit(run('inspect_weights'))
