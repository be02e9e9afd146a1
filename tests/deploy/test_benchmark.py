"""tools/benchmark.py deploy runs every runtime it reports on (no timing is asserted)."""
from __future__ import annotations

import os
import sys

from tests.engine.conftest import ROOT
from tests.helpers.proc import run as run_child


def test_deploy_benchmark_reports_each_runtime(tmp_path):
    out = tmp_path / 'bench.json'
    proc = run_child(
        [sys.executable, str(ROOT / 'tools' / 'benchmark.py'), 'deploy', '-c',
         'configs/ssd/ssd_mobilenet_v1_bccd.yml', '--size', '300', '--runs', '1',
         '--json', str(out)], cwd=ROOT, timeout=600,
        env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    import json
    results = json.loads(out.read_text())['results']
    assert set(results) == {'dygraph', 'Paddle Inference on CPU with oneDNN',
                            'Paddle Inference on CPU', 'ONNX Runtime on CPU (+ NMS in numpy)'}
    assert all(r['median'] > 0 for r in results.values())
    assert 'vs dygraph' in proc.stdout
