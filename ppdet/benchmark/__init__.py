"""Rerunnable benchmarks behind `tools/benchmark.py <name>`.

Each module named in SUBCOMMANDS exposes `add_arguments(parser)` and `run(args) -> int`, and
reports medians (and min/max) of repeated runs, never a single timing; `shape_model` builds
the stand-in models they load into.
"""
SUBCOMMANDS = {
    'reader': 'ppdet.benchmark.reader',
    'model': 'ppdet.benchmark.model',
    'x2coco': 'ppdet.benchmark.x2coco',
    'loader': 'ppdet.benchmark.loader',
    'deploy': 'ppdet.benchmark.deploy',
}
