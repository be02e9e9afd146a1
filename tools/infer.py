"""Detect objects: python tools/infer.py -c cfg.yml -o weights=path --infer_img a.jpg
(or --infer_dir folder) [--output_dir out] [--draw_threshold 0.5] [--save_results=True]
(all flags: --help; the code is ppdet/cli/infer.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ppdet.cli import run  # noqa: E402

if __name__ == '__main__':
    sys.exit(run('infer'))
