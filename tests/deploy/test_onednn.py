"""oneDNN policy: on for programs Paddle 3's oneDNN runs, off (and said) for those it breaks on;
a program that makes Paddle segfault with oneDNN runs through our backend in a child process."""
from __future__ import annotations

import os
import sys

from tests.engine.conftest import ROOT
from tests.helpers.proc import run as run_child

CHILD = '''
import sys, numpy as np
sys.path.insert(0, {root!r})
from ppdet.deploy.backends import PaddleInferenceBackend, RuntimeOptions
b = PaddleInferenceBackend({program!r}, {params!r}, RuntimeOptions('CPU', 1, True))
out = b.infer({{'x': np.ones([1, 3, 16, 16], 'float32')}})
print(b.describe(), out[0].shape)
'''


def test_blockers_name_leaky_relu_and_interpolate_only(tiny_program):
    from ppdet.deploy.onednn import onednn_blockers
    leaky = onednn_blockers(tiny_program('leaky') + '.json')
    assert len(leaky) == 1 and leaky[0].startswith('leaky_relu with a double negative_slope')
    interp = onednn_blockers(tiny_program('interp') + '.json')
    assert len(interp) == 1 and interp[0].startswith('nearest_interp')
    assert onednn_blockers(tiny_program('relu') + '.json') == []


def _run_child(path):
    code = CHILD.format(root=str(ROOT), program=path + '.json', params=path + '.pdiparams')
    return run_child([sys.executable, '-c', code],
                     timeout=300, env=dict(os.environ, OMP_NUM_THREADS='1'))


def test_backend_with_onednn_requested_runs_a_crashing_program_without_it(tiny_program,
                                                                           capsys):
    """conv2d -> leaky_relu with enable_mkldnn() segfaults in Paddle 3.3; ours turns oneDNN
    off for it (and says so) and runs; a conv -> relu program keeps oneDNN."""
    leaky = _run_child(tiny_program('leaky'))
    assert leaky.returncode == 0, leaky.stderr[-3000:]
    assert 'oneDNN stays off for this model' in leaky.stdout
    assert 'Paddle Inference on CPU (1, 4, 16, 16)' in leaky.stdout
    relu = _run_child(tiny_program('relu'))
    assert relu.returncode == 0, relu.stderr[-3000:]
    assert 'Paddle Inference on CPU with oneDNN (1, 4, 16, 16)' in relu.stdout
