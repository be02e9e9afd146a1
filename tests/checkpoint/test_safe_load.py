"""Safe loading: real paddle.save output loads; pickles that would run code are refused before
any side effect; truncated/corrupt files give a clear WeightsError."""
import os
import pickle

import numpy as np
import paddle
import pytest

from ppdet.checkpoint import safe_load
from ppdet.core.errors import WeightsError


def _tiny_layer():
    return paddle.nn.Sequential(paddle.nn.Conv2D(3, 4, 3), paddle.nn.BatchNorm2D(4))


@pytest.mark.parametrize('protocol', [2, 3, 4])
def test_paddle_save_state_dict_loads(tmp_path, protocol):
    layer = _tiny_layer()
    path = str(tmp_path / 'w.pdparams')
    paddle.save(layer.state_dict(), path, protocol=protocol)
    loaded = safe_load(path)
    for k, v in layer.state_dict().items():
        assert np.array_equal(loaded[k], v.numpy())


def test_optimizer_file_with_lr_scheduler_loads(tmp_path):
    layer = _tiny_layer()
    sched = paddle.optimizer.lr.PiecewiseDecay([2], [0.1, 0.01])
    opt = paddle.optimizer.Momentum(learning_rate=sched, parameters=layer.parameters())
    layer(paddle.randn([1, 3, 8, 8])).mean().backward()
    opt.step()
    path = str(tmp_path / 'w.pdopt')
    paddle.save(opt.state_dict(), path)
    loaded = safe_load(path)
    assert loaded['LR_Scheduler']['last_epoch'] == 0
    assert any(k.endswith('velocity_0') for k in loaded)


class _RunsCode:
    """Pickles to a call of os.system creating a marker file."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


class _Evals:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({self.marker!r}, 'w').write('x')",))


@pytest.mark.parametrize('payload', [_RunsCode, _Evals])
def test_code_running_pickle_is_refused_without_side_effect(tmp_path, payload):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pdparams'
    with open(path, 'wb') as f:
        pickle.dump({'conv.weight': np.zeros(3, np.float32), 'x': payload(str(marker))}, f,
                    protocol=4)
    with pytest.raises(WeightsError, match='refused|not allowed'):
        safe_load(str(path))
    assert not marker.exists()


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / 'w.pdparams'
    paddle.save(_tiny_layer().state_dict(), str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(WeightsError, match='truncated or corrupt'):
        safe_load(str(path))


def test_non_pickle_file_is_a_clear_error(tmp_path):
    path = tmp_path / 'w.pdparams'
    path.write_bytes(b'<html>404 not found</html>')
    with pytest.raises(WeightsError, match='not a Paddle weights file'):
        safe_load(str(path))


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match='not found'):
        safe_load(str(tmp_path / 'nope.pdparams'))


def test_nested_structure_with_tensors_loads(tmp_path):
    layer = _tiny_layer()
    path = str(tmp_path / 'nested.pdparams')
    paddle.save({'model': layer.state_dict(), 'epoch': 3}, path)
    loaded = safe_load(path)
    assert loaded['epoch'] == 3
    name, arr = loaded['model']['0.weight']  # Paddle stores (tensor name, array) here
    assert np.array_equal(arr, layer.state_dict()['0.weight'].numpy())
