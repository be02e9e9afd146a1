"""Images/second of the YOLOv3 training reader on BCCD (worker_num 0 and 2, median of runs).

    python tools/benchmark.py reader [--dataset-dir dataset/bccd] [--images 64] [--runs 3]

The pipeline is PaddleDetection's YOLOv3 training reader (Decode, Mixup, RandomDistort,
RandomExpand, RandomCrop, RandomFlip | BatchRandomResize 320-416, NormalizeBox, PadBox,
BboxXYXY2XYWH, NormalizeImage, Permute, Gt2YoloTarget) with batch size 8.
"""
from __future__ import annotations

import argparse
import json
import os
from typing import Any, Dict, List

from ppdet.benchmark.timing import time_runs

YOLO_ANCHORS = [[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90],
                [156, 198], [373, 326]]
YOLO_MASKS = [[6, 7, 8], [3, 4, 5], [0, 1, 2]]
SIZES = [320, 352, 384, 416]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--dataset-dir', default='dataset/bccd')
    parser.add_argument('--anno-path', default='train.txt')
    parser.add_argument('--images', type=int, default=64, help='images per run')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--no-mixup', action='store_true')
    parser.add_argument('--json', help='also write the results to this file')


def yolov3_train_reader(num_classes: int, batch_size: int, mixup: bool = True) -> Any:
    """The YOLOv3 training reader of PaddleDetection's yolov3 configs, at 320-416 px."""
    from ppdet.data.reader import TrainReader
    from ppdet.data import transform as T
    sample = [T.Decode()] + ([T.Mixup(alpha=1.5, beta=1.5)] if mixup else []) + [
        T.RandomDistort(), T.RandomExpand(fill_value=[123.675, 116.28, 103.53]),
        T.RandomCrop(), T.RandomFlip()]
    batch = [T.BatchRandomResize(SIZES, keep_ratio=False, random_size=True, random_interp=True),
             T.NormalizeBox(), T.PadBox(num_max_boxes=50), T.BboxXYXY2XYWH(),
             T.NormalizeImage(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225],
                              is_scale=True),
             T.Permute(),
             T.Gt2YoloTarget(anchors=YOLO_ANCHORS, anchor_masks=YOLO_MASKS,
                             downsample_ratios=[32, 16, 8])]
    return TrainReader(sample_transforms=sample, batch_transforms=batch, batch_size=batch_size,
                       shuffle=True, drop_last=True, num_classes=num_classes,
                       mixup_epoch=(10 ** 6 if mixup else -1))


def run(args: argparse.Namespace) -> int:
    from ppdet.data import VOCDataSet
    ds = VOCDataSet(dataset_dir=args.dataset_dir, anno_path=args.anno_path,
                    sample_num=args.images)
    ds.parse_dataset()
    reader = yolov3_train_reader(ds.num_classes, args.batch_size, mixup=not args.no_mixup)
    n_images = (len(ds) // args.batch_size) * args.batch_size
    results: List[Dict[str, Any]] = []
    for workers in args.workers:
        epoch = [0]

        def one_epoch() -> None:
            for _ in reader.batches(ds, worker_num=workers, seed=0, epoch=epoch[0]):
                pass
            epoch[0] += 1

        t = time_runs(one_epoch, runs=args.runs, warmup=1)
        results.append({'worker_num': workers, 'images': n_images,
                        'images_per_s_median': n_images / t['median'],
                        'images_per_s_min': n_images / t['max'],
                        'images_per_s_max': n_images / t['min'], 'runs_s': t['runs']})
        print(f'worker_num={workers}: {n_images / t["median"]:.1f} images/s (median of '
              f'{args.runs}; range {n_images / t["max"]:.1f}-{n_images / t["min"]:.1f}), '
              f'{n_images} images, batch {args.batch_size}, {os.cpu_count()} CPUs')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=1)
    return 0
