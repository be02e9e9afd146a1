"""`tools/train.py`: train a detector from a config, with PaddleDetection 2.6's flags.

    python tools/train.py -c cfg.yml [-o k=v ...] [--eval] [-r ckpt] [--use_vdl=true
        --vdl_log_dir dir] [--amp] [--dry-run]

Of PaddleDetection's training flags, `--slim_config`, `--fleet`, `--use_wandb`,
`--save_prediction_only`, `--profiler_options`, `--save_proposals`, `--proposals_path` and
`--to_static` are refused by name with the reason (see `build_parser`).
"""
from __future__ import annotations

import os
from typing import List, Optional

from ppdet.cli.parser import ToolParser, add_bool_flag, refuse_bool_flag, refuse_flag
from ppdet.core.cli import add_config_args

__all__ = ['main', 'build_parser', 'default_output_dir', 'vdl_settings']

VDL_DEFAULT = 'vdl_log_dir/scalar'   # PaddleDetection's default --vdl_log_dir for training


def build_parser() -> ToolParser:
    p = ToolParser(prog='tools/train.py', description='Train a detector from a config.')
    add_config_args(p)
    p.add_argument('-r', '--resume', default=None,
                   help='checkpoint prefix or run folder to continue exactly from')
    add_bool_flag(p, '--eval', 'evaluate on EvalDataset after each snapshot; keep best_model')
    p.add_argument('--output_dir', default=None,
                   help='run folder (default: <save_dir>/<config name>)')
    p.add_argument('--dry-run', '--dry_run', dest='dry_run', action='store_true',
                   help='do everything training does before its first step (config, model, '
                        'data, weight-load plan or resume checks, optimizer), print the plan and '
                        'exit; fails where training would, writes nothing')
    add_bool_flag(p, '--use_vdl', 'write VisualDL logs (needs: pip install visualdl); '
                  'also use_vdl: true in the config', default=None)
    p.add_argument('--vdl_log_dir', default=None,
                   help=f'VisualDL log folder (default: vdl_log_dir in the config, else '
                        f'{VDL_DEFAULT})')
    add_bool_flag(p, '--amp', 'mixed precision (GPU only; on the CPU a note, then float32)')
    p.add_argument('--seed', type=int, default=None, help='overrides the config seed')
    add_bool_flag(p, '--enable_ce', 'accepted: every run is already seeded by seed: (0)')
    _refuse_unsupported(p)
    return p


def _refuse_unsupported(p: ToolParser) -> None:
    refuse_flag(p, '--slim_config', 'model compression (PaddleSlim) is not implemented')
    refuse_bool_flag(p, '--fleet', 'for several processes use python -m '
                     'paddle.distributed.launch tools/train.py (data parallel)')
    refuse_bool_flag(p, '--use_wandb', 'Weights & Biases logging is not implemented; use '
                     '--use_vdl or the run folder (metrics.jsonl, loss.png, map.png)')
    refuse_bool_flag(p, '--save_prediction_only', 'a training option only for evaluation: use '
                     'tools/eval.py --save_prediction_only')
    refuse_flag(p, '--profiler_options', 'the Paddle profiler is not wired in; time with '
                'tools/benchmark.py')
    refuse_bool_flag(p, '--save_proposals', 'proposal saving (SNIPER) is not implemented')
    refuse_flag(p, '--proposals_path', 'proposal saving (SNIPER) is not implemented')
    refuse_bool_flag(p, '--to_static', 'training runs in dynamic mode; tools/export_model.py '
                     'makes the static model')


def default_output_dir(cfg, config_path: str) -> str:
    stem = os.path.splitext(os.path.basename(config_path))[0]
    return os.path.join(cfg.get('save_dir', 'output'), stem)


def vdl_settings(args, cfg) -> Optional[str]:
    """The VisualDL folder when logs are asked for (flag first, then the config), else None."""
    use = args.use_vdl if args.use_vdl is not None else bool(cfg.get('use_vdl', False))
    if not use:
        return None
    return args.vdl_log_dir or cfg.get('vdl_log_dir') or VDL_DEFAULT


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from ppdet.cli.common import prepare_run, start
    start()
    cfg, device = prepare_run(args, acted_on=('use_vdl', 'vdl_log_dir'))
    if args.seed is not None:
        cfg['seed'] = args.seed
    if args.amp and not device.startswith('gpu'):
        print('note: --amp needs a GPU; this run trains in float32 on the CPU')
    from ppdet.engine.distributed import init_distributed
    from ppdet.engine.seed import seed_everything
    from ppdet.engine.trainer import Trainer
    dist = init_distributed()
    seed_everything(int(cfg.get('seed', 0)))  # the program's random state, as before
    output_dir = args.output_dir or default_output_dir(cfg, args.config)
    trainer = Trainer(cfg, 'train', output_dir=output_dir, dist=dist,
                      amp=args.amp and device.startswith('gpu'), vdl_dir=vdl_settings(args, cfg),
                      write_records=not args.dry_run)
    if args.dry_run:
        print(trainer.dry_run(resume=args.resume, validate=args.eval))
        return 0
    summary = trainer.train(validate=args.eval, resume=args.resume)
    if dist.is_main:
        print(f'run folder: {summary["output_dir"]}')
        if 'map' in summary:
            print(f'final {cfg.get("metric")} mAP: {summary["map"] * 100:.2f}%')
    return 0
