"""`tools/inspect_weights.py`: a config's weight-load plan, by the dry-run code path.

It is `tools/train.py --dry-run` without resume: the Trainer is built from the config (model and
dataset, so the plan uses the dataset's class list exactly as training does), the pretrained
load is planned and refused where training would refuse it, and nothing is written.
`--weights` only overrides `pretrain_weights`.
"""
from __future__ import annotations

from typing import List, Optional

from ppdet.cli.parser import ToolParser
from ppdet.core.cli import add_config_args
from ppdet.core.errors import WeightsError

__all__ = ['main', 'build_parser']


def build_parser() -> ToolParser:
    parser = ToolParser(
        prog='tools/inspect_weights.py',
        description="Print the weight-load plan of a config (the dataset's classes included) "
                    'exactly as training would make it; nothing is trained or written.')
    add_config_args(parser)
    parser.add_argument('--weights', default=None,
                        help='weights to inspect (default: pretrain_weights of the config)')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from ppdet.cli.common import prepare_run, start
    start()
    cfg, _ = prepare_run(args)
    if args.weights:
        cfg['pretrain_weights'] = args.weights
    if not cfg.get('pretrain_weights'):
        raise WeightsError('no weights to inspect: set -o pretrain_weights=... or --weights')
    from ppdet.engine.trainer import Trainer
    trainer = Trainer(cfg, 'train', write_records=False)
    print(trainer.dry_run())
    return 0
