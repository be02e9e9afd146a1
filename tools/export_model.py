"""Export a static inference model: python tools/export_model.py -c cfg.yml -o weights=path
[--output_dir output_inference] [--onnx] (the code is ppdet/cli/export_model.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from ppdet.cli import run  # noqa: E402

if __name__ == '__main__':
    sys.exit(run('export_model'))
