"""`tools/infer.py`: detections on images or a folder, drawn and written as JSON.

    python tools/infer.py -c cfg.yml -o weights=output/cfg/model_final \\
        (--infer_img a.jpg | --infer_dir folder) [--output_dir out] [--draw_threshold 0.5] \\
        [--save_results]

Class names come from the checkpoint's metadata or the config's TestDataset (label list or
COCO categories); when both name classes they must agree, and when neither does the tool
stops — it never labels predictions with default COCO names.
"""
from __future__ import annotations

import argparse
from typing import List, Optional

from ppdet.core.cli import add_config_args
from ppdet.engine.cli_common import prepare_run

__all__ = ['main', 'build_parser']


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description='Detect objects in images with trained weights.')
    add_config_args(p)
    p.add_argument('--infer_img', default=None, help='one image file')
    p.add_argument('--infer_dir', default=None,
                   help='a folder of images (non-image files are skipped and counted)')
    p.add_argument('--output_dir', default='output',
                   help='folder for the drawn images and detections.json (default: output)')
    p.add_argument('--draw_threshold', type=float, default=0.5,
                   help='lowest score drawn and listed in detections.json (default 0.5)')
    p.add_argument('--save_results', action='store_true',
                   help='also write bbox.json: every detection, COCO results format')
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    cfg, _device = prepare_run(args)
    if not 0.0 <= args.draw_threshold <= 1.0:
        from ppdet.core.errors import PPDetError
        raise PPDetError(f'--draw_threshold {args.draw_threshold}: give a score in [0, 1]')
    from ppdet.engine.inference import collect_images, predict_images, write_predictions
    from ppdet.engine.trained_weights import (load_trained_weights, prediction_class_names,
                                              read_trained_weights)
    from ppdet.engine.trainer import Trainer
    images = collect_images(args.infer_img, args.infer_dir)
    weights = read_trained_weights(cfg.get('weights'))
    trainer = Trainer(cfg, 'test')
    names, names_from = prediction_class_names(trainer, weights)
    load_trained_weights(trainer, weights)
    print(f'class names ({names_from}): {", ".join(names)}')
    preds = predict_images(trainer.model, trainer.reader, images)
    outputs = write_predictions(preds, images, names, args.output_dir, args.draw_threshold,
                                args.save_results, names_from,
                                clsid2catid=getattr(trainer.dataset, 'clsid2catid', None))
    c = outputs.counts
    print(f'{c["images"]} images -> {outputs.output_dir}; detections in '
          f'{outputs.detections_json}'
          + (f'; all detections in {outputs.coco_results_json}' if outputs.coco_results_json
             else ''))
    if images.non_images:
        print(f'skipped {len(images.non_images)} non-image files (e.g. '
              f'{images.non_images[0]})')
    for f, reason in images.unreadable:
        print(f'skipped unreadable image {f}: {reason}')
    if not c['images']:
        from ppdet.core.errors import DatasetError
        raise DatasetError(f'none of the {len(images.images)} images could be read '
                           f'(see the reasons above)')
    return 0
