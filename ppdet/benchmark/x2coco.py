"""x2coco: time PaddleDetection's documented labelme command on a synthetic folder.

The command is exactly the one PaddleDetection documents for labelme (annotations and images
in two folders, train 0.8 / val 0.2), run as a user runs it: a fresh `python tools/x2coco.py`
process per run, writing to a fresh output folder, so start-up, parsing, placing the images and
writing the JSON are all in the figure. `--baseline other/tools/x2coco.py` times another
checkout's tool on the same files, runs interleaved (ours, baseline, ours, ...) so that load
from other jobs on a shared machine hits both alike; the ratio of medians is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import cv2
import numpy as np

from ppdet.core.errors import PPDetError

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'x2coco.py'


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of `tools/benchmark.py x2coco`."""
    parser.add_argument('--num-files', type=int, default=10000, help='labelme files to generate')
    parser.add_argument('--runs', type=int, default=3, help='timed runs (median reported)')
    parser.add_argument('--baseline', help="another checkout's tools/x2coco.py, timed on the "
                        'same files, interleaved with ours')
    parser.add_argument('--data-dir', help='generate the folder here and keep it (reused when '
                        'it already holds --num-files files); default: a temporary folder')


def make_labelme_folder(annos: Path, images: Path, num_files: int, seed: int = 0) -> None:
    """Write `num_files` labelme JSON files into `annos` and their 320x240 JPEGs into `images`:
    2-6 shapes each (rectangles, 4-point polygons, circles), some reaching outside the image."""
    annos.mkdir(parents=True, exist_ok=True)
    images.mkdir(parents=True, exist_ok=True)
    jpeg = cv2.imencode('.jpg', np.full((240, 320, 3), 90, np.uint8))[1].tobytes()
    rng = random.Random(seed)
    labels = ['car', 'person', 'bicycle', 'dog']
    for i in range(num_files):
        name = f'frame_{i:06d}'
        (images / f'{name}.jpg').write_bytes(jpeg)
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
        (annos / f'{name}.json').write_text(json.dumps(doc))


def command(tool: Path, annos: Path, images: Path, out: Path) -> List[str]:
    """PaddleDetection's documented labelme conversion command."""
    return [sys.executable, str(tool), '--dataset_type', 'labelme',
            '--json_input_dir', str(annos), '--image_input_dir', str(images),
            '--output_dir', str(out), '--train_proportion', '0.8', '--val_proportion', '0.2',
            '--test_proportion', '0.0']


def _time_once(tool: Path, annos: Path, images: Path, out: Path) -> Tuple[float, str]:
    """Seconds of one run of the command, and the report's line saying how images were placed."""
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    proc = subprocess.run(command(tool, annos, images, out), capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise PPDetError(f'{tool} failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}'
                         f'{proc.stderr[-2000:]}')
    placed = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip().startswith('images:')]
    shutil.rmtree(out, ignore_errors=True)
    return seconds, placed[0] if placed else 'images: not reported'


def _line(name: str, samples: List[float], num_files: int) -> str:
    med = statistics.median(samples)
    return (f'  {name}: median {med:.2f} s (min {min(samples):.2f}, max {max(samples):.2f}; '
            f'{num_files / med:.0f} files/s) runs: ' + ', '.join(f'{s:.2f}' for s in samples))


def _prepare(root: Path, num_files: int) -> Dict[str, Path]:
    annos, images = root / 'labelme_annos', root / 'labelme_imgs'
    if not (annos.is_dir() and len(os.listdir(annos)) == num_files):
        shutil.rmtree(annos, ignore_errors=True)
        shutil.rmtree(images, ignore_errors=True)
        make_labelme_folder(annos, images, num_files)
    return {'annos': annos, 'images': images, 'out': root / 'x2coco_out'}


def _bench(root: Path, args: argparse.Namespace) -> int:
    paths = _prepare(root, args.num_files)
    tools = {'ours': TOOL}
    if args.baseline:
        tools['baseline'] = Path(args.baseline).resolve()
    print(f'x2coco benchmark: {args.num_files} labelme files, cpu_count={os.cpu_count()}, '
          f'OMP_NUM_THREADS={os.environ.get("OMP_NUM_THREADS", "unset")}, loadavg '
          f'{os.getloadavg()[0]:.2f}')
    print('  command: ' + ' '.join(command(Path('tools/x2coco.py'), Path('labelme_annos'),
                                           Path('labelme_imgs'), Path('out'))[1:]))
    samples: Dict[str, List[float]] = {name: [] for name in tools}
    placed = {}
    for _ in range(args.runs):
        for name, tool in tools.items():
            seconds, placed[name] = _time_once(tool, paths['annos'], paths['images'],
                                               paths['out'])
            samples[name].append(seconds)
    for name in tools:
        print(_line(f'{name} ({tools[name]})', samples[name], args.num_files))
    print(f'  ours: {placed["ours"]}')
    if args.baseline:
        ratio = statistics.median(samples['ours']) / statistics.median(samples['baseline'])
        print(f'  ratio ours/baseline (medians, same run): {ratio:.2f}; loadavg after '
              f'{os.getloadavg()[0]:.2f}')
    return 0


def run(args: argparse.Namespace) -> int:
    """Generate (or reuse) the folder, then time the command; print medians."""
    if args.data_dir:
        return _bench(Path(args.data_dir), args)
    with tempfile.TemporaryDirectory(prefix='x2coco_bench_') as tmp:
        return _bench(Path(tmp), args)
