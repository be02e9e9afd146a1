"""Show what loading pretrained weights into a config's model would do, then exit.

    python tools/inspect_weights.py -c configs/yolov3/yolov3_mobilenet_v1_bccd.yml \
        -o pretrain_weights=output/yolov3_mobilenet_v1_270e_coco.pdparams

The plan is made against the config's dataset classes by the code `tools/train.py --dry-run`
runs, so it is the table training prints. Nothing is trained and nothing is written.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppdet.engine.cli_inspect import main  # noqa: E402
from ppdet.core.cli import run_tool  # noqa: E402

if __name__ == '__main__':
    sys.exit(run_tool(main))
