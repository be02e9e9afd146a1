"""`tools/infer.py`: detections on images or a folder, drawn and written as JSON.

    python tools/infer.py -c cfg.yml -o weights=output/cfg/model_final \\
        (--infer_img a.jpg | --infer_dir folder) [--output_dir out] [--draw_threshold 0.5] \\
        [--save_results=True] [--save_threshold 0.5] [--visualize=False]

Class names come from the checkpoint's metadata or the config's TestDataset (label list or
COCO categories); when both name classes they must agree. When the TestDataset's file is not
on this machine, a COCO-80 or VOC-20 config uses the shipped names, saying so on its own
line (`ppdet.engine.default_class_names`); any other config stops and says what to give.
"""
from __future__ import annotations

from typing import List, Optional

from ppdet.cli.parser import ToolParser, add_bool_flag, refuse_bool_flag, refuse_flag
from ppdet.core.cli import add_config_args
from ppdet.core.errors import DatasetError, PPDetError

__all__ = ['main', 'build_parser']


def build_parser() -> ToolParser:
    p = ToolParser(prog='tools/infer.py',
                   description='Detect objects in images with trained weights.')
    add_config_args(p)
    p.add_argument('--infer_img', default=None, help='one image file')
    p.add_argument('--infer_dir', default=None,
                   help='a folder of images (non-image files are skipped and counted)')
    p.add_argument('--output_dir', default='output',
                   help='folder for the drawn images and detections.json (default: output)')
    p.add_argument('--draw_threshold', type=float, default=0.5,
                   help='lowest score drawn and listed in detections.json (default 0.5)')
    add_bool_flag(p, '--save_results', 'also write bbox.json: detections with score >= '
                  '--save_threshold, COCO results format')
    p.add_argument('--save_threshold', type=float, default=0.5,
                   help='lowest score written to bbox.json by --save_results (default 0.5)')
    add_bool_flag(p, '--visualize', 'draw the detections into images (false: detections.json '
                  'only)', default=True)
    add_bool_flag(p, '--rtn_im_file', 'accepted: detections.json always names each image file')
    refuse_flag(p, '--slim_config', 'model compression (PaddleSlim) is not implemented')
    refuse_bool_flag(p, '--use_vdl', 'images go to --output_dir; VisualDL image logs are not '
                     'written by inference')
    refuse_flag(p, '--vdl_log_dir', 'VisualDL image logs are not written by inference')
    refuse_bool_flag(p, '--do_eval', 'evaluate with tools/eval.py')
    refuse_bool_flag(p, '--slice_infer', 'sliced inference is not implemented')
    for name in ('--slice_size', '--overlap_ratio', '--combine_method', '--match_threshold',
                 '--match_metric'):
        refuse_flag(p, name, 'belongs to sliced inference, which is not implemented')
    return p


def _check_thresholds(args) -> None:
    for name in ('draw_threshold', 'save_threshold'):
        value = getattr(args, name)
        if not 0.0 <= value <= 1.0:
            raise PPDetError(f'--{name} {value}: give a score in [0, 1]')


def _report(outputs, images) -> None:
    c = outputs.counts
    print(f'{c["images"]} images -> {outputs.output_dir}; detections in '
          f'{outputs.detections_json}'
          + (f'; detections >= the save threshold in {outputs.coco_results_json}'
             if outputs.coco_results_json else ''))
    if images.non_images:
        print(f'skipped {len(images.non_images)} non-image files (e.g. '
              f'{images.non_images[0]})')
    for f, reason in images.unreadable:
        print(f'skipped unreadable image {f}: {reason}')
    if not c['images']:
        raise DatasetError(f'none of the {len(images.images)} images could be read '
                           f'(see the reasons above)')


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    _check_thresholds(args)
    from ppdet.cli.common import prepare_run, start
    start()
    cfg, _device = prepare_run(args)
    from ppdet.engine.default_class_names import fill_missing_test_names
    from ppdet.engine.inference import collect_images, predict_images, write_predictions
    from ppdet.engine.trained_weights import (load_trained_weights, prediction_class_names,
                                              read_trained_weights)
    from ppdet.engine.trainer import Trainer
    images = collect_images(args.infer_img, args.infer_dir)
    weights = read_trained_weights(cfg.get('weights'))
    names_line = fill_missing_test_names(cfg, weights.class_names)
    if names_line:
        print(names_line)
    trainer = Trainer(cfg, 'test')
    names, names_from = prediction_class_names(trainer, weights)
    load_trained_weights(trainer, weights)
    print(f'class names ({names_from}): {", ".join(names)}')
    preds = predict_images(trainer.model, trainer.reader, images)
    outputs = write_predictions(preds, images, names, args.output_dir, args.draw_threshold,
                                args.save_results, names_from,
                                clsid2catid=getattr(trainer.dataset, 'clsid2catid', None),
                                draw=args.visualize, save_threshold=args.save_threshold)
    _report(outputs, images)
    return 0
