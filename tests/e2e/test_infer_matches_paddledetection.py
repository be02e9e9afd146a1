"""From an image file to detections, `tools/infer.py` gives PaddleDetection's boxes and scores:
PaddleDetection 2.6's own config, a .pdparams with values it did not train (the parity recipe
with another salt), a BCCD image decoded, resized keeping its ratio (to 400 x 667 here, to keep
the test short), normalised, run through the model and post-processed, rescaled to the image.

`fixtures/ppdet26_infer_held2.json` holds PaddleDetection's detections for these inputs
(measured with PaddleDetection 2.6.0 on paddlepaddle 3.3.1). Tolerances: 0.1 px and 1e-4 in
score (parity README: box columns move by ~1e-2 px for 1-ulp input changes; detections.json
prints boxes to 0.01 px and scores to 5 digits); classes and counts exactly.
"""
import json
import os
import sys
from pathlib import Path

import numpy as np
import paddle
import pytest

from ppdet.checkpoint import COCO80_CLASS_NAMES
from ppdet.core.workspace import create, load_config
from tests.helpers.recipe_weights import apply_recipe
from tests.helpers.proc import run as run_child

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT.parent / 'shared' / 'reference' / 'ppdet26_configs' / 'configs'
FIXTURE = json.loads((Path(__file__).parent / 'fixtures' / 'ppdet26_infer_held2.json').read_text())


def _weights(config: str, salt: str, folder: Path) -> Path:
    cfg = load_config(str(CONFIGS / config))
    with paddle.LazyGuard():
        model = create(cfg.architecture, cfg)
    path = folder / 'model.pdparams'
    paddle.save(apply_recipe(model, salt), str(path))
    return path


@pytest.mark.parametrize('config', sorted(FIXTURE['configs']))
def test_infer_gives_paddledetection_detections(config, tmp_path):
    case = FIXTURE['configs'][config]
    weights = _weights(config, case['salt'], tmp_path)
    labels = tmp_path / 'coco80.txt'
    labels.write_text('\n'.join(COCO80_CLASS_NAMES) + '\n')
    out = tmp_path / 'out'
    proc = run_child(
        [sys.executable, 'tools/infer.py', '-c', str(CONFIGS / config), '--infer_img',
         case['image'], '--output_dir', str(out), '--draw_threshold', '0', '-o',
         f'weights={weights}', 'use_gpu=false',
         f'TestDataset={{name: ImageFolder, anno_path: {labels}}}'] + case['overrides'],
        cwd=ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'),
        timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    dets = json.loads((out / 'detections.json').read_text())['images'][0]['detections']
    ours = np.array([[d['category_id'], d['score']] + d['bbox'] for d in dets], 'float64')
    want = np.array(case['bbox'], 'float64')
    want = want[want[:, 0] >= 0]  # PaddleDetection's placeholder rows of empty boxes
    assert len(ours) == len(want)
    free = np.ones(len(ours), bool)
    for row in want:  # one to one: same class, score within 1e-4, box within 0.1 px
        close = free & (ours[:, 0] == row[0]) & (np.abs(ours[:, 1] - row[1]) <= 1e-4) & \
            (np.abs(ours[:, 2:] - row[2:]).max(1) <= 0.1)
        assert close.any(), f'no detection of ours matches PaddleDetection\'s {row.tolist()}'
        free[np.flatnonzero(close)[0]] = False
