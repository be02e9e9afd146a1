"""The post-processing steps rewritten to trace (ppdet.modeling.ops.traced_shapes,
BBoxPostProcess.get_pred's placeholder rows) give in a saved program exactly what they give in
eager mode, on both sides of each size decision, and the program runs under Paddle Inference
with oneDNN when an image has no detections."""
from __future__ import annotations

import os

import numpy as np
import pytest

ROWS = np.array([[0, .9, 1, 2, 30, 40], [2, .8, 5, 6, 70, 80], [1, .7, 9, 9, 20, 20]],
                'float32')


def _save(layer, specs, path):
    import paddle
    paddle.jit.save(paddle.jit.to_static(layer, input_spec=specs, full_graph=True), path)
    loaded = paddle.jit.load(path)
    loaded.eval()
    return loaded


@pytest.mark.parametrize('limit', [3, 10])  # fewer than the 6 values, and more
def test_best_rows_traced_equals_eager(tmp_path, limit):
    import paddle
    from ppdet.modeling.ops.traced_shapes import best_rows

    class Best(paddle.nn.Layer):
        @paddle.jit.not_to_static
        def forward(self, values):
            keep = best_rows(values, limit)
            return values if keep is None else paddle.gather(values, keep)

    values = np.array([.3, .9, .1, .7, .5, .2], 'float32')
    eager = Best()(paddle.to_tensor(values)).numpy()
    expected = np.sort(values)[::-1][:limit] if limit < values.size else values
    np.testing.assert_array_equal(eager, expected)
    spec = [paddle.static.InputSpec([None], 'float32', 'values')]
    traced = _save(Best(), spec, str(tmp_path / 'best'))
    np.testing.assert_array_equal(traced(paddle.to_tensor(values)).numpy(), eager)


class _Finish:
    """get_pred on the NMS rows of a [3, 6] input whose score column passes `min_score`."""

    def __init__(self):
        import paddle
        from ppdet.modeling.post_process import BBoxPostProcess

        class Finish(paddle.nn.Layer):
            @paddle.jit.not_to_static
            def forward(self, rows, counts, min_score, im_shape, scale_factor):
                kept = paddle.gather(rows, paddle.nonzero(rows[:, 1] > min_score).flatten())
                num = paddle.minimum(counts, paddle.shape(kept)[0:1].cast('int32'))
                return BBoxPostProcess(num_classes=3).get_pred(kept, num, im_shape,
                                                               scale_factor)
        self.layer = Finish()
        self.specs = [paddle.static.InputSpec([None, 6], 'float32', 'rows'),
                      paddle.static.InputSpec([None], 'int32', 'counts'),
                      paddle.static.InputSpec([1], 'float32', 'min_score'),
                      paddle.static.InputSpec([None, 2], 'float32', 'im_shape'),
                      paddle.static.InputSpec([None, 2], 'float32', 'scale_factor')]


def _inputs(counts, min_score):
    n = len(counts)
    return [ROWS, np.array(counts, 'int32'), np.array([min_score], 'float32'),
            np.full((n, 2), 100, 'float32'), np.full((n, 2), 0.5, 'float32')]


def test_placeholder_rows_for_images_without_detections_traced_equals_eager(tmp_path):
    import paddle
    finish = _Finish()
    traced = _save(finish.layer, finish.specs, str(tmp_path / 'finish'))
    for counts, min_score in (([2, 0, 1], 0.), ([0, 3], 0.), ([0], 1.), ([3], 0.)):
        feeds = [paddle.to_tensor(a) for a in _inputs(counts, min_score)]
        bbox, num = [t.numpy() for t in finish.layer(*feeds)]
        assert num.tolist() == [max(c, 1) for c in counts]
        start = 0
        for c, n in zip(counts, num.tolist()):
            part = bbox[start:start + n]
            start += n
            if c == 0:  # PaddleDetection's placeholder: class -1, all zeros
                np.testing.assert_array_equal(part, [[-1, 0, 0, 0, 0, 0]])
            else:
                assert (part[:, 0] >= 0).all() and part[:, 2:].max() <= 200
        traced_out = [t.numpy() for t in traced(*feeds)]
        np.testing.assert_array_equal(traced_out[0], bbox)
        np.testing.assert_array_equal(traced_out[1], num)


def test_no_detections_runs_under_paddle_inference_with_onednn(tmp_path):
    """oneDNN kernels raise on zero-size tensors (reshape, elementwise): the placeholder step
    touches the empty NMS output only through concat, so the program runs."""
    import paddle.inference as pi
    finish = _Finish()
    path = str(tmp_path / 'finish')
    _save(finish.layer, finish.specs, path)
    program = next(path + ext for ext in ('.json', '.pdmodel') if os.path.isfile(path + ext))
    config = pi.Config(program, path + '.pdiparams')
    config.disable_gpu()
    config.enable_mkldnn()
    config.disable_glog_info()
    predictor = pi.create_predictor(config)
    for name, value in zip(('rows', 'counts', 'min_score', 'im_shape', 'scale_factor'),
                           _inputs([0], 1.)):
        predictor.get_input_handle(name).copy_from_cpu(value)
    predictor.run()
    bbox, num = [predictor.get_output_handle(n).copy_to_cpu()
                 for n in predictor.get_output_names()]
    np.testing.assert_array_equal(bbox, [[-1, 0, 0, 0, 0, 0]])
    assert num.tolist() == [1]
