"""Convert VOC, labelme or Cityscapes annotations to COCO JSON (flags: python tools/x2coco.py
--help; the code is ppdet/cli/x2coco.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ppdet.cli import run  # noqa: E402

if __name__ == '__main__':
    sys.exit(run('x2coco'))
