"""The logic behind `tools/inspect_weights.py`: build the config's model, plan the load, print.

The plan is computed with `apply=False`, so it is exactly what training would do; when the
policy would refuse the load, the table is printed first and then the refusal.
"""
from __future__ import annotations

import argparse
from typing import List, Optional

from ppdet.checkpoint.config_bridge import (freeze_patterns_from_config,
                                            pretrain_kwargs_from_config)
from ppdet.checkpoint.freeze import apply_freeze
from ppdet.checkpoint.loader import load_pretrain_weights
from ppdet.checkpoint.render import render_freeze_report, render_load_report
from ppdet.core.errors import WeightsError

__all__ = ['main', 'build_parser']


def build_parser() -> argparse.ArgumentParser:
    from ppdet.core.cli import add_config_args
    parser = argparse.ArgumentParser(description='Print the weight-loading plan of a config.')
    add_config_args(parser)
    parser.add_argument('--weights', default=None,
                        help='weights to inspect (default: pretrain_weights of the config)')
    parser.add_argument('--classes', default=None,
                        help='target class names, comma separated (enables the class-aware plan)')
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    from ppdet.core.cli import load_from_args
    from ppdet.core.workspace import create
    args = build_parser().parse_args(argv)
    cfg = load_from_args(args)
    source = args.weights or cfg.get('pretrain_weights')
    if not source:
        raise WeightsError('no weights to inspect: set -o pretrain_weights=... or --weights')
    model = create(cfg.architecture, cfg)
    targets = [c.strip() for c in args.classes.split(',')] if args.classes else None
    kwargs = pretrain_kwargs_from_config(cfg)
    try:
        report = load_pretrain_weights(model, source, target_class_names=targets, apply=False,
                                       **kwargs)
    except WeightsError as e:
        report = getattr(e, 'report', None)
        if report is None:
            raise
        print(render_load_report(report))
        print()
        raise
    print(render_load_report(report))
    patterns = freeze_patterns_from_config(cfg)
    if patterns:
        print()
        print(render_freeze_report(apply_freeze(model, patterns)))
    return 0
