"""Weights in and out: pretrained loading for transfer learning, freezing, checkpoints, resume.

Public API (everything else in this package is an implementation detail):

Loading pretrained weights (fine-tuning):
    load_pretrain_weights(model, source, *, exclude=None, mode='detection', class_aware=True,
                          target_class_names=None, source_class_names=None,
                          policy=LoadPolicy(), apply=True) -> LoadReport
        `source`: .pdparams path, path without suffix, http(s) URL (cached), or a state dict.
        `exclude`: finetune_exclude_pretrained_params (regex / wildcard / dotted name).
        `mode`: fine_tune_checkpoint_type — 'classification' | 'detection' | 'full'.
        Raises WeightsError (with `.report`) when `policy` refuses; `policy=None` accepts all.
        The LoadReport is the plan: computed once, applied record by record, and rendered from
        the same records (see `loader.py`, `plan.py`, `class_plan.py`).
    render_load_report(report: LoadReport) -> str
    LoadReport, TensorRecord, PatternReport, ClassTransfer, LoadPolicy

Freezing:
    apply_freeze(model, patterns) -> FreezeReport   (frozen BatchNorm layers stay in eval mode)
    trainable_parameters(model) -> list             (what the optimizer should own)
    render_freeze_report(report: FreezeReport) -> str

Checkpoints and resume:
    save_checkpoint(prefix, model, optimizer=None, *, epoch=0, step=0, lr_scheduler=None,
                    ema=None, architecture=None, class_names=None, config_text=None,
                    extra=None, update_latest=True) -> CheckpointFiles
    load_checkpoint_for_resume(source, model, optimizer=None, *, lr_scheduler=None, ema=None,
                               current_config_text=None, class_names=None,
                               restore_random_state=True)
        -> ResumeState   (WeightsError when the classes or the model do not fit)

Files:
    resolve_weights_path(source, *, cache_dir=None, checksums=None, progress=..., timeout=60)
        -> str   (cache: $PPDET_WEIGHTS_CACHE or ~/.cache/ppdet/weights)
    safe_load(path) -> dict   (restricted unpickler: refuses files that would run code)
    read_metadata(path) -> dict | None

Class layouts (declared by architectures as `class_layouts: Dict[prefix, ClassLayout]`;
`ClassLayout` is defined with the models, in `ppdet.modeling.class_layout`):
    ClassLayout, COCO80_CLASS_NAMES, VOC20_CLASS_NAMES
"""
from ppdet.checkpoint.class_names import COCO80_CLASS_NAMES, VOC20_CLASS_NAMES
from ppdet.checkpoint.freeze import apply_freeze, trainable_parameters
from ppdet.checkpoint.loader import MODES, load_pretrain_weights
from ppdet.checkpoint.metadata import read_metadata
from ppdet.checkpoint.render import render_freeze_report, render_load_report
from ppdet.checkpoint.report import (ClassTransfer, FreezeReport, LoadPolicy, LoadReport,
                                     PatternReport, TensorRecord)
from ppdet.checkpoint.resume import ResumeState, load_checkpoint_for_resume
from ppdet.checkpoint.safe_pickle import safe_load
from ppdet.checkpoint.save import CheckpointFiles, save_checkpoint
from ppdet.checkpoint.sources import resolve_weights_path
from ppdet.modeling.class_layout import ClassLayout

__all__ = ['ClassLayout', 'COCO80_CLASS_NAMES', 'VOC20_CLASS_NAMES', 'apply_freeze',
           'trainable_parameters', 'MODES', 'load_pretrain_weights', 'read_metadata',
           'render_freeze_report', 'render_load_report', 'ClassTransfer', 'FreezeReport',
           'LoadPolicy', 'LoadReport', 'PatternReport', 'TensorRecord', 'ResumeState',
           'load_checkpoint_for_resume', 'safe_load', 'CheckpointFiles', 'save_checkpoint',
           'resolve_weights_path']
