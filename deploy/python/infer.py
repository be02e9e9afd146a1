"""Run an exported model: python deploy/python/infer.py --model_dir DIR --image_file a.jpg
(see ppdet/deploy/cli.py for every flag)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from ppdet.core.cli import run_tool  # noqa: E402
from ppdet.deploy.cli import main  # noqa: E402

if __name__ == '__main__':
    sys.exit(run_tool(main))
