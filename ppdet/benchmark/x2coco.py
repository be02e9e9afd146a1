"""x2coco: time converting a synthetic labelme folder (median of repeated runs per worker count).

The folder is generated in a temporary directory: N labelme JSON files, each with a few
rectangles, polygons and a circle, and a small real JPEG beside it. Each timed run writes to a
fresh output folder, so image copies and JSON writing are part of the figure.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
from pathlib import Path
import cv2
import numpy as np

from ppdet.benchmark.timing import time_runs
from ppdet.convert import ConvertOptions, convert


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `tools/benchmark.py x2coco`."""
    parser.add_argument('--num-files', type=int, default=10000, help='labelme files to generate')
    parser.add_argument('--workers', type=int, nargs='+', default=[1, 2],
                        help='worker counts to time')
    parser.add_argument('--runs', type=int, default=3, help='timed runs per worker count')


def make_labelme_folder(root: Path, num_files: int, seed: int = 0) -> None:
    """Write `num_files` labelme JSON files with 320x240 JPEGs into `root`."""
    root.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode('.jpg', np.full((240, 320, 3), 90, np.uint8))
    jpeg = buf.tobytes()
    rng = random.Random(seed)
    labels = ['car', 'person', 'bicycle', 'dog']
    for i in range(num_files):
        name = f'frame_{i:06d}'
        (root / f'{name}.jpg').write_bytes(jpeg)
        shapes = []
        for _ in range(rng.randint(2, 6)):
            x, y = rng.uniform(0, 280), rng.uniform(0, 200)
            w, h = rng.uniform(5, 60), rng.uniform(5, 60)
            kind = rng.choice(['rectangle', 'polygon', 'circle'])
            if kind == 'rectangle':
                pts = [[x, y], [x + w, y + h]]
            elif kind == 'polygon':
                pts = [[x, y], [x + w, y], [x + w, y + h], [x + w / 2, y + h * 1.2]]
            else:
                pts = [[x, y], [x + w / 3, y]]
            shapes.append({'label': rng.choice(labels), 'points': pts, 'group_id': None,
                           'shape_type': kind, 'flags': {}})
        doc = {'version': '5.2.1', 'flags': {}, 'shapes': shapes, 'imagePath': f'{name}.jpg',
               'imageData': None, 'imageHeight': 240, 'imageWidth': 320}
        (root / f'{name}.json').write_text(json.dumps(doc))


def run(args: argparse.Namespace) -> int:
    """Generate, then time convert() for each worker count; print medians."""
    with tempfile.TemporaryDirectory(prefix='x2coco_bench_') as tmp:
        src = Path(tmp) / 'labelme'
        make_labelme_folder(src, args.num_files)
        print(f'x2coco benchmark: {args.num_files} labelme files, cpu_count={os.cpu_count()}')
        for workers in args.workers:
            counter = iter(range(10 ** 6))

            def once() -> None:
                out = Path(tmp) / f'out_{workers}_{next(counter)}'
                report = convert(ConvertOptions(
                    dataset_type='labelme', json_input_dir=str(src), output_dir=str(out),
                    train_proportion=0.8, val_proportion=0.2, workers=workers))
                if not report.ok:
                    raise RuntimeError(report.render())

            t = time_runs(once, runs=args.runs, warmup=0)
            line = (f'  workers={workers}: median {t["median"]:.2f} s (min {t["min"]:.2f}, '
                    f'max {t["max"]:.2f}; {args.num_files / t["median"]:.0f} files/s)')
            print(line, flush=True)
    return 0
