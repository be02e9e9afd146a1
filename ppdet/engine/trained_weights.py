"""Trained weights for eval, infer and export: load them whole, and know which classes they mean.

A trained checkpoint only makes sense with the model and the classes it was trained for.
PaddleDetection 2.6 loads whatever fits and says so in INFO lines, and labels predictions with
COCO names when it cannot find a label list; here each mismatch is an error that says what
differs:
- every model tensor must be restored with its shape (`fine_tune_checkpoint_type: full`), even
  when the config relaxes `load_policy`, and the error names the tensors;
- the checkpoint's metadata (`<prefix>.meta.json`, written by our trainer) names its
  architecture and classes; they must agree with the config and its dataset;
- class names come from the metadata or the dataset config, and when both give names they
  must be the same list in the same order. Without any: an error, never a default list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from ppdet.checkpoint import read_metadata, resolve_weights_path
from ppdet.checkpoint.report import MISSING, SHAPE_MISMATCH
from ppdet.core.errors import WeightsError

__all__ = ['TrainedWeights', 'read_trained_weights', 'load_trained_weights',
           'choose_class_names', 'prediction_class_names', 'describe_names']


@dataclass(frozen=True)
class TrainedWeights:
    """A resolved weights file and what its metadata says (None fields: not recorded)."""
    source: str
    path: str
    metadata: Optional[Dict[str, Any]]

    @property
    def class_names(self) -> Optional[List[str]]:
        names = (self.metadata or {}).get('class_names')
        return list(names) if names else None

    @property
    def architecture(self) -> Optional[str]:
        return (self.metadata or {}).get('architecture')


def describe_names(names: Sequence[str], limit: int = 12) -> str:
    shown = ', '.join(str(n) for n in list(names)[:limit])
    more = f', ... (+{len(names) - limit})' if len(names) > limit else ''
    return f'{len(names)} classes [{shown}{more}]'


def read_trained_weights(source: Optional[str]) -> TrainedWeights:
    """Resolve `weights` (path, path without suffix, URL) and read its metadata if any."""
    if not source:
        raise WeightsError('no weights given: pass -o weights=path/to/model_final '
                           '(a .pdparams file or its path without suffix)')
    path = resolve_weights_path(str(source))
    return TrainedWeights(str(source), path, read_metadata(path))


def _check_architecture(weights: TrainedWeights, architecture: Optional[str]) -> None:
    if weights.architecture and architecture and weights.architecture != architecture:
        raise WeightsError(f'{weights.path} is a checkpoint of {weights.architecture} but the '
                           f'config builds {architecture}; use the config the checkpoint was '
                           f'trained with (its resolved config is in the run folder, '
                           f'config.yml)')


def _not_restored(report: Any) -> List[Any]:
    return [r for r in report.records if r.status in (MISSING, SHAPE_MISMATCH)]


def _render_records(records: Sequence[Any], limit: int = 8) -> str:
    lines = []
    for r in records[:limit]:
        if r.status == SHAPE_MISMATCH:
            lines.append(f'  {r.name}: checkpoint {list(r.source_shape or ())} vs model '
                         f'{list(r.shape)}')
        else:
            lines.append(f'  {r.name}: not in the checkpoint')
    if len(records) > limit:
        lines.append(f'  ... and {len(records) - limit} more')
    return '\n'.join(lines)


def load_trained_weights(trainer: Any, weights: TrainedWeights) -> Any:
    """Load `weights` into `trainer.model` in full mode; return the LoadReport.

    Raises WeightsError when the architecture, any tensor, or the class list does not fit.
    """
    cfg = trainer.cfg
    _check_architecture(weights, cfg.get('architecture'))
    data_names = list(trainer.class_names or [])
    ckpt_names = weights.class_names
    hint = ''
    if ckpt_names and data_names and len(ckpt_names) != len(data_names):
        hint = (f'\nThe checkpoint was trained on {describe_names(ckpt_names)}; this config\'s '
                f'dataset has {describe_names(data_names)}.')
    try:
        report = trainer.load_weights(weights.path)
    except WeightsError as e:
        failed = getattr(e, 'report', None)
        if failed is None or not _not_restored(failed):
            raise WeightsError(f'{e}{hint}') from None
        report = failed
    bad = _not_restored(report)
    if bad:  # also when load_policy: null lets the loader accept a half-loaded model
        raise WeightsError(f'{weights.path} does not fit the model of this config: '
                           f'{len(bad)} of {len(report.records)} model tensors cannot be '
                           f'restored:\n{_render_records(bad)}\nUse the config the checkpoint '
                           f'was trained with, or the checkpoint trained with this one.{hint}')
    if ckpt_names and data_names and list(ckpt_names) != data_names:
        raise WeightsError(class_mismatch_message(weights.path, ckpt_names, data_names,
                                                  'the dataset of this config'))
    return report


def class_mismatch_message(path: str, ckpt_names: Sequence[str], data_names: Sequence[str],
                           where: str) -> str:
    same_set = sorted(ckpt_names) == sorted(data_names)
    why = ('the same names in another order, so class indices would be read as the wrong '
           'classes' if same_set else 'different names')
    return (f'{path} was trained on {describe_names(ckpt_names)} but {where} has '
            f'{describe_names(data_names)}: {why}. Use the label list the model was trained '
            f'with (or the checkpoint trained for these classes).')


def choose_class_names(weights: TrainedWeights, data_names: Sequence[str],
                       data_label: str) -> tuple:
    """(names, where they came from) for labelling predictions; WeightsError when the
    metadata and the dataset disagree or neither gives names."""
    ckpt_names = weights.class_names
    data_names = list(data_names or [])
    if ckpt_names and data_names:
        if list(ckpt_names) != data_names:
            raise WeightsError(class_mismatch_message(weights.path, ckpt_names, data_names,
                                                      data_label))
        return list(ckpt_names), f'checkpoint metadata and {data_label} (they agree)'
    if ckpt_names:
        return list(ckpt_names), 'checkpoint metadata'
    if data_names:
        return data_names, data_label
    raise WeightsError(f'class names are unknown: {weights.path} has no metadata with class '
                       f'names and {data_label} gives none. Name the classes in the config, '
                       f'e.g. TestDataset: !ImageFolder {{anno_path: label_list.txt}} (one name '
                       f'per line, in label order) or a COCO json with categories; predictions '
                       f'are never labelled with default (COCO) names')


def _test_dataset_label(cfg: Any) -> str:
    spec = cfg.get('TestDataset') or {}
    anno = (spec.get('anno_path') or spec.get('label_list')) if hasattr(spec, 'get') else None
    return f'TestDataset ({anno})' if anno else 'TestDataset (no anno_path)'


def prediction_class_names(trainer: Any, weights: TrainedWeights) -> tuple:
    """(names, source) for a `Trainer(cfg, 'test')`: `choose_class_names` over its
    TestDataset, and as many names as the model's `num_classes`."""
    from ppdet.data import check_num_classes
    names, source = choose_class_names(weights, trainer.class_names,
                                       _test_dataset_label(trainer.cfg))
    if 'num_classes' in trainer.cfg:
        check_num_classes(names, int(trainer.cfg['num_classes']), f'class names from {source}')
    return names, source
