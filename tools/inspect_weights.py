"""Show what loading pretrained weights into a config's model would do, then exit.

    python tools/inspect_weights.py -c configs/yolov3/yolov3_darknet53_270e_coco.yml \
        -o pretrain_weights=output/DarkNet53_pretrained.pdparams num_classes=3 \
        --classes person,car,dog

Nothing is trained and nothing is written; the table is the same the trainer prints.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from ppdet.checkpoint.inspect import main  # noqa: E402
from ppdet.core.cli import run_tool  # noqa: E402

if __name__ == '__main__':
    sys.exit(run_tool(main))
