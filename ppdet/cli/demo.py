"""`tools/demo.py`, the README's first command: train on the shipped BCCD data (fine-tuning the
zoo weights when they can be fetched, else from scratch), evaluating a few times on the test
split, then draw example detections. The sequencing is `ppdet.engine.demo`'s."""
from __future__ import annotations

import time
from typing import List, Optional

from ppdet.cli.parser import ToolParser
from ppdet.core.cli import add_config_args

__all__ = ['main', 'build_parser']

def build_parser() -> ToolParser:
    p = ToolParser(
        prog='tools/demo.py',
        description='Train a detector on the shipped BCCD data (fine-tune from the zoo '
                    'weights when they can be fetched, else from scratch: '
                    'configs/demo/bccd_finetune.yml or bccd_scratch.yml), evaluate it on the '
                    'test split and draw example detections.')
    add_config_args(p, required=False)
    p.add_argument('--output_dir', default='output/demo_bccd', help='run folder')
    p.add_argument('--offline', action='store_true',
                   help='do not try the network: train from scratch')
    p.add_argument('--num-images', '--num_images', dest='num_images', type=int, default=4,
                   help='test images to draw detections on')
    p.add_argument('--draw-threshold', '--draw_threshold', dest='threshold', type=float,
                   default=0.3, help='score threshold of the drawn boxes')
    p.add_argument('--threads', type=int, default=None,
                   help='CPU threads for Paddle (default: $OMP_NUM_THREADS if set, else every '
                        'core; Paddle alone would use one)')
    p.add_argument('--timeout', type=float, default=5.0,
                   help='seconds to wait for the weights server before going offline')
    return p


def _choose(args):
    from ppdet.core.workspace import load_config
    from ppdet.engine.demo import DemoChoice, choose_config
    if not args.config:
        return choose_config(args.offline, args.timeout)
    if load_config(args.config, validate=False).get('pretrain_weights'):
        return DemoChoice(args.config, False,
                          f'-c {args.config} given: running it with its pretrain_weights')
    return DemoChoice(args.config, True, f'-c {args.config} given: running it as is')


def main(argv: Optional[List[str]] = None) -> int:
    started = time.perf_counter()
    args = build_parser().parse_args(argv)
    from ppdet.cli.common import choose_device, config_notes, load_tool_config, start
    start(args.threads, log=lambda line: print(f'demo: {line}'))
    from ppdet.engine.demo import render_summary, run_demo
    choice = _choose(args)
    print(f'demo: {choice.reason}')
    print(f'demo: config {choice.config}; run folder {args.output_dir}')
    args.config = choice.config
    cfg = load_tool_config(args)
    for note in config_notes(cfg):
        print(note)
    choose_device(cfg)
    result = run_demo(choice, cfg, args.output_dir, num_images=args.num_images,
                      threshold=args.threshold)
    print(render_summary(result, time.perf_counter() - started))
    return 0
