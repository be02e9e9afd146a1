"""Every PaddleDetection release/2.6 config of our two-stage and RetinaNet families with a
ResNet backbone (C4 and FPN, vd, ssld, ResNeXt, 1x/2x, multi-scale test) loads here
unmodified from ../shared/reference/ppdet26_configs and builds a model whose state dict equals
PaddleDetection's, name for name, shape for shape, in order; with 3 classes only the declared
class-dependent layers change, as they do in PaddleDetection.

The expected names and shapes (`fixtures/ppdet26_state_dicts.json.gz`) were read from
PaddleDetection 2.6.0's own models built from these configs; the three that
../shared/reference/keys also holds are checked against that file too. Models are built under
`paddle.LazyGuard` (shapes without initialising 40M parameters each).
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import paddle
import pytest

from ppdet.core.workspace import create, load_config, merge_config
from ppdet.core.registry import get_schema
from tests.modeling._yolo_helpers import KEYS_DIR, SHARED

FIXTURE = Path(__file__).parent / 'fixtures' / 'ppdet26_state_dicts.json.gz'
CONFIGS = SHARED / 'reference' / 'ppdet26_configs' / 'configs'
EXPECTED = json.loads(gzip.open(FIXTURE).read())
FAMILIES = ('FasterRCNN', 'RetinaNet', 'CascadeRCNN', 'MaskRCNN')
# ../shared/reference/keys/mask_rcnn_r50_1x_coco.json is not the C4 model: it has an FPN neck
# on res4 and a 256-wide RPN (283 entries; PaddleDetection builds 279 from the config in a
# fresh process, as the fixture holds). It was written in a process that had loaded an FPN
# config before, and PaddleDetection's process-wide registry leaked `MaskRCNN.neck: FPN` into
# it (DIALECT.md, defect 1). Only the fixture is compared for it.
LEAKED_NECK = ('mask_rcnn_r50_1x_coco',)
FOLDERS = ('faster_rcnn', 'retinanet', 'cascade_rcnn', 'mask_rcnn')
CASES = sorted(c for c, e in EXPECTED.items() if e['architecture'] in FAMILIES)


def _state_dict_shapes(config: str, overrides=()):
    cfg = load_config(str(CONFIGS / config))
    if overrides:
        merge_config(cfg, list(overrides))
    with paddle.LazyGuard():
        model = create(cfg.architecture, cfg)
    return model, [[k, list(v.shape)] for k, v in model.state_dict().items()]


def test_every_config_of_the_families_is_covered():
    on_disk = {str(p.relative_to(CONFIGS)) for d in FOLDERS
               for p in (CONFIGS / d).glob('*.yml') if 'swin' not in p.name}
    assert on_disk == set(CASES)


@pytest.mark.parametrize('config', CASES)
def test_state_dict_equals_paddledetection(config):
    expected = EXPECTED[config]
    model, ours = _state_dict_shapes(config)
    assert type(model).__name__ == expected['architecture']
    assert ours == expected['params']
    reference = KEYS_DIR / (Path(config).stem + '.json')
    if reference.exists():
        theirs = [[n, s] for n, s, _ in json.loads(reference.read_text())['params']]
        if Path(config).stem in LEAKED_NECK:  # that file describes another model: see above
            assert any(n.startswith('neck.') for n, _ in theirs)
            assert not any(n.startswith('neck.') for n, _ in ours)
        else:
            assert ours == theirs


@pytest.mark.parametrize('config', ['faster_rcnn/faster_rcnn_r50_fpn_1x_coco.yml',
                                    'faster_rcnn/faster_rcnn_r50_1x_coco.yml',
                                    'retinanet/retinanet_r50_fpn_1x_coco.yml',
                                    'cascade_rcnn/cascade_rcnn_r50_fpn_1x_coco.yml',
                                    'cascade_rcnn/cascade_mask_rcnn_r50_fpn_1x_coco.yml',
                                    'mask_rcnn/mask_rcnn_r50_fpn_1x_coco.yml',
                                    'mask_rcnn/mask_rcnn_r50_1x_coco.yml'])
def test_three_classes_change_only_the_declared_layers(config):
    expected = EXPECTED[config]
    model, ours = _state_dict_shapes(config, ['num_classes=3'])
    want = {n: s for n, s in expected['params']}
    for name, _, nc3 in expected['class_dependent']:
        want[name] = nc3
    assert dict(ours) == want
    declared = get_schema(expected['architecture']).cls.class_layouts
    changed = {n for n, _, _ in expected['class_dependent']}
    assert {n for n in changed if any(n.startswith(p + '.') for p in declared)} == changed
