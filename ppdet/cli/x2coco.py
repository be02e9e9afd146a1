"""`tools/x2coco.py`: convert VOC, labelme or Cityscapes annotations to COCO JSON, with a
validation report (PaddleDetection's flag names, plus ours; see docs/X2COCO.md).

Exit status: 0 converted cleanly, 1 converted with errors (or warnings under --strict),
2 could not run (bad flags or paths).
"""
from __future__ import annotations

import argparse
from typing import List, Optional

from ppdet.cli.parser import ToolParser

from ppdet.convert.options import DATASET_TYPES, ConvertOptions
from ppdet.convert.placement import PLACEMENTS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the x2coco flags to `parser`."""
    a = parser.add_argument
    a('--dataset_type', required=True, choices=DATASET_TYPES,
      help='annotation format of the input')
    a('--json_input_dir', help='labelme / Cityscapes: folder of annotation JSON (searched '
      'recursively)')
    a('--image_input_dir', help='folder of images (labelme: default beside the JSON; VOC: '
      'default JPEGImages beside --voc_anno_dir; Cityscapes: the leftImg8bit folder)')
    a('--output_dir', help='output folder: annotations/instance_<split>.json, images per split '
      'and x2coco_report.json')
    a('--train_proportion', type=float, default=1.0, help='share of images in train')
    a('--val_proportion', type=float, default=0.0, help='share of images in val')
    a('--test_proportion', type=float, default=0.0, help='share of images in test')
    a('--voc_anno_dir', help='VOC: folder of XML annotations')
    a('--voc_anno_list', nargs='+', default=[], help='VOC: list file(s) of annotation ids; one '
      'COCO file per list')
    a('--voc_label_list', help='VOC: category names, one per line (fixes ids 1..N)')
    a('--voc_out_name', nargs='+', default=[], help='VOC: output JSON name per list (default '
      '<list name>.json); a path when --output_dir is not given')
    a('--seed', type=int, default=0, help='seed of the train/val/test shuffle (default 0)')
    a('--label_list', help='category names, one per line, fixing ids 1..N (any dataset type); '
      'default: the sorted union of the names found')
    a('--strict', action='store_true', help='warnings (clipped, refused, dropped, ...) fail the '
      'run too')
    a('--workers', type=int, default=None, help='parallel worker processes (default: one per '
      'usable CPU core)')
    a('--no_copy_images', action='store_true', help='write only the JSON files, do not put '
      'images into --output_dir')
    a('--place_images', choices=PLACEMENTS, default='auto', help='how images reach '
      '--output_dir: auto (hard link on the same filesystem, else reflink, else copy; the '
      'report says which), hardlink, reflink, copy, or symlink (breaks if the sources move)')


def options_from_args(args: argparse.Namespace) -> ConvertOptions:
    """ConvertOptions from parsed flags."""
    return ConvertOptions(
        dataset_type=args.dataset_type, json_input_dir=args.json_input_dir,
        image_input_dir=args.image_input_dir, output_dir=args.output_dir,
        train_proportion=args.train_proportion, val_proportion=args.val_proportion,
        test_proportion=args.test_proportion, voc_anno_dir=args.voc_anno_dir,
        voc_anno_list=list(args.voc_anno_list), voc_label_list=args.voc_label_list,
        voc_out_name=list(args.voc_out_name), seed=args.seed, label_list=args.label_list,
        strict=args.strict, workers=args.workers, copy_images=not args.no_copy_images,
        place_images=args.place_images)


def build_parser() -> ToolParser:
    parser = ToolParser(prog='tools/x2coco.py', description=__doc__,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    from ppdet.convert import convert
    args = build_parser().parse_args(argv)
    report = convert(options_from_args(args))
    print(report.render())
    return report.exit_code
