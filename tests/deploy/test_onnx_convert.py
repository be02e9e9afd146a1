"""paddle2onnx gets exactly the attributes it misreads retagged, and the ONNX model then
computes what Paddle computes (leaky ReLU keeps its slope, upsampling converts)."""
from __future__ import annotations

import json

import numpy as np
import pytest


def _attr_tags(doc, op, attr):
    tags, stack = [], [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get('#') == f'1.{op}':
                for a in item['A']:
                    if a['N'] == attr:
                        at = a['AT']
                        tags += [e['#'] for e in at['D']] if at['#'] == '0.a_array' else [at['#']]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return tags


def test_retag_changes_only_the_misread_attributes(tiny_program):
    from ppdet.deploy.onnx_convert import retag_float_attributes
    for kind, op, attr, n in (('leaky', 'leaky_relu', 'negative_slope', 1),
                              ('interp', 'nearest_interp', 'scale', 2)):
        with open(tiny_program(kind) + '.json') as f:
            doc = json.load(f)
        assert _attr_tags(doc, op, attr) == ['0.a_f64'] * n  # as Paddle 3 writes them
        full_before = _attr_tags(doc, 'full', 'value')
        assert retag_float_attributes(doc) == n
        assert _attr_tags(doc, op, attr) == ['0.a_f32'] * n
        assert _attr_tags(doc, 'full', 'value') == full_before  # read as double: untouched


@pytest.mark.parametrize('kind', ['leaky', 'interp'])
def test_converted_model_computes_what_paddle_computes(tiny_program, tmp_path, kind):
    import paddle
    from ppdet.deploy.onnx_export import convert_in_child  # paddle2onnx may abort a process
    path = tiny_program(kind)
    convert_in_child(path + '.json', path + '.pdiparams', str(tmp_path / 'tiny.onnx'))
    x = np.random.default_rng(0).standard_normal((1, 3, 16, 16)).astype('float32')
    layer = paddle.jit.load(path)
    with paddle.no_grad():
        expected = layer(paddle.to_tensor(x))[0].numpy()
    assert (expected < 0).any() if kind == 'leaky' else expected.shape == (1, 4, 32, 32)
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.log_severity_level = 3
    session = ort.InferenceSession(str(tmp_path / 'tiny.onnx'), so,
                                   providers=['CPUExecutionProvider'])
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    # one 3x3x3 conv in float32: differences are a few ulps of values below ~10
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
