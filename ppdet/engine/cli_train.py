"""`tools/train.py`: PaddleDetection's training flags plus `--dry-run`."""
from __future__ import annotations

import argparse
import os
from typing import List, Optional

from ppdet.core.cli import add_config_args
from ppdet.engine.cli_common import prepare_run

__all__ = ['main', 'build_parser', 'default_output_dir']


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description='Train a detector from a config.')
    add_config_args(p)
    p.add_argument('-r', '--resume', default=None,
                   help='checkpoint prefix or run folder to continue exactly from')
    p.add_argument('--eval', action='store_true', help='evaluate after each snapshot')
    p.add_argument('--output_dir', default=None,
                   help='run folder (default: <save_dir>/<config name>)')
    p.add_argument('--dry-run', '--dry_run', dest='dry_run', action='store_true',
                   help='do everything training does before its first step (config, model, '
                        'data, weight-load plan or resume checks, optimizer), print the plan and '
                        'exit; fails where training would, writes nothing')
    p.add_argument('--use_vdl', action='store_true', help='log to VisualDL (if installed)')
    p.add_argument('--vdl_log_dir', default=None, help='VisualDL log folder')
    p.add_argument('--amp', action='store_true', help='mixed precision (GPU only)')
    p.add_argument('--seed', type=int, default=None, help='overrides the config seed')
    return p


def default_output_dir(cfg, config_path: str) -> str:
    stem = os.path.splitext(os.path.basename(config_path))[0]
    return os.path.join(cfg.get('save_dir', 'output'), stem)


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from ppdet.engine.distributed import init_distributed
    cfg, device = prepare_run(args)
    if args.seed is not None:
        cfg['seed'] = args.seed
    if args.amp and not device.startswith('gpu'):
        print('note: --amp needs a GPU; this run trains in float32 on the CPU')
    dist = init_distributed()
    from ppdet.engine.trainer import Trainer
    output_dir = args.output_dir or default_output_dir(cfg, args.config)
    trainer = Trainer(cfg, 'train', output_dir=output_dir, dist=dist,
                      amp=args.amp and device.startswith('gpu'),
                      vdl_dir=(args.vdl_log_dir or os.path.join(output_dir, 'vdl'))
                      if args.use_vdl else None, write_records=not args.dry_run)
    if args.dry_run:
        print(trainer.dry_run(resume=args.resume, validate=args.eval))
        return 0
    summary = trainer.train(validate=args.eval, resume=args.resume)
    if dist.is_main:
        print(f'run folder: {summary["output_dir"]}')
        if 'map' in summary:
            print(f'final {cfg.get("metric")} mAP: {summary["map"] * 100:.2f}%')
    return 0
