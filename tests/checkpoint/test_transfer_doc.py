"""docs/TRANSFER_LEARNING.md says what the code does: the head-only freeze it spells out trains
only the head, and SSD's `detection` mode keeps the box regressors, as its TF OD API table row
says."""
import ast
import re

from ppdet.checkpoint import apply_freeze, load_pretrain_weights
from tests.checkpoint._models import (BCCD_NAMES, ROOT, SSD_BCCD, YOLO_BCCD,
                                      assert_applied_as_planned, build_from_config, randomize,
                                      state_arrays)

DOC = (ROOT / 'docs' / 'TRANSFER_LEARNING.md').read_text(encoding='utf-8')


def test_the_documented_head_only_freeze_trains_only_the_head():
    found = re.search(r"train only the head: `freeze_params: (\[[^\]]*\])`", DOC)
    assert found, 'docs/TRANSFER_LEARNING.md no longer spells out "train only the head"'
    patterns = ast.literal_eval(found.group(1))
    assert f'`freeze_params: {found.group(1)}`' in DOC.split('## Terms from the TensorFlow')[1]
    model = build_from_config(YOLO_BCCD)
    rep = apply_freeze(model, patterns)
    assert rep.trainable and all(n.startswith('yolo_head.') for n in rep.trainable)
    assert not rep.warnings


def test_ssd_detection_mode_keeps_the_box_regressors_as_documented():
    row = [l for l in DOC.splitlines()
           if l.startswith('| `fine_tune_checkpoint_type: "detection"`')]
    assert len(row) == 1 and 'box regressors' in row[0] and 'ssd_head.boxes' in row[0]
    voc = build_from_config(SSD_BCCD, ['num_classes=20'])
    randomize(voc, 6)
    ckpt = state_arrays(voc)
    model = build_from_config(SSD_BCCD)
    before = state_arrays(model)
    rep = load_pretrain_weights(model, ckpt, target_class_names=BCCD_NAMES)  # VOC-20 inferred
    assert 'inferred VOC-20' in rep.classes.source_policy
    boxes = [r for r in rep.records if r.name.startswith('ssd_head.boxes')]
    scores = [r for r in rep.records if r.name.startswith('ssd_head.scores')]
    assert len(boxes) == 12 and all(r.status == 'loaded' for r in boxes)
    assert len(scores) == 12 and all(r.class_dependent and r.status == 'excluded'
                                     for r in scores)  # no BCCD class among VOC's 20
    assert_applied_as_planned(before, model, ckpt, rep)
