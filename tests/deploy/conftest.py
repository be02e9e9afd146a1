"""Tiny saved programs for the deploy tests: one conv and one activation or upsampling."""
from __future__ import annotations

import os

import pytest


def save_tiny_program(kind: str, directory) -> str:
    """conv2d followed by `kind` (leaky, relu, interp), saved with paddle.jit.save; two
    outputs (the map and twice it), as a detector has two (bbox, bbox_num)."""
    import paddle
    import paddle.nn as nn
    import paddle.nn.functional as F

    class Tiny(nn.Layer):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2D(3, 4, 3, padding=1)

        def forward(self, x):
            y = self.conv(x)
            if kind == 'leaky':
                y = F.leaky_relu(y, 0.1)
            elif kind == 'interp':
                y = F.interpolate(F.relu(y), scale_factor=2.)
            else:
                y = F.relu(y)
            return y, y * 2.0

    paddle.seed(0)
    layer = Tiny()
    layer.eval()
    spec = [paddle.static.InputSpec([1, 3, 16, 16], 'float32', 'x')]
    path = os.path.join(str(directory), 'model')
    paddle.jit.save(paddle.jit.to_static(layer, input_spec=spec, full_graph=True), path)
    return path


@pytest.fixture
def tiny_program(tmp_path):
    def make(kind):
        folder = tmp_path / kind
        folder.mkdir()
        return save_tiny_program(kind, folder)
    return make
