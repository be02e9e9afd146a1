"""Checkpoints and resume: an interrupted and resumed run ends bit-identical to an uninterrupted
one; resuming into a different model is an error listing differences and config changes."""
import os

import numpy as np
import paddle
import pytest

from ppdet.checkpoint import (load_checkpoint_for_resume, load_pretrain_weights, read_metadata,
                              save_checkpoint)
from ppdet.core.errors import WeightsError
from tests.checkpoint._models import TinyYolo, randomize

STEPS, SPLIT = 8, 5


class Net(paddle.nn.Layer):
    def __init__(self):
        super().__init__()
        self.fc1 = paddle.nn.Linear(6, 16)
        self.bn = paddle.nn.BatchNorm1D(16)
        self.drop = paddle.nn.Dropout(0.3)  # consumes Paddle's RNG every step
        self.fc2 = paddle.nn.Linear(16, 2)

    def forward(self, x):
        return self.fc2(self.drop(paddle.nn.functional.relu(self.bn(self.fc1(x)))))


def _build():
    model = Net()
    sched = paddle.optimizer.lr.PiecewiseDecay([3, 6], [0.1, 0.05, 0.01])
    opt = paddle.optimizer.Momentum(learning_rate=sched, momentum=0.9,
                                    parameters=model.parameters())
    return model, opt, sched


def _train(model, opt, sched, steps):
    model.train()
    for _ in range(steps):
        x = paddle.to_tensor(np.random.rand(4, 6).astype('float32'))  # numpy RNG
        loss = model(x).square().mean()
        loss.backward()
        opt.step()
        opt.clear_grad()
        sched.step()


def _weights(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_resume_is_bit_identical(tmp_path):
    paddle.seed(42)
    np.random.seed(42)
    ref_model, ref_opt, ref_sched = _build()
    init = _weights(ref_model)
    _train(ref_model, ref_opt, ref_sched, STEPS)
    expected = _weights(ref_model)

    paddle.seed(42)
    np.random.seed(42)
    model, opt, sched = _build()
    model.set_state_dict(init)
    _train(model, opt, sched, SPLIT)
    files = save_checkpoint(str(tmp_path / 'step_5'), model, opt, epoch=0, step=SPLIT,
                            architecture='Net', class_names=['a', 'b'],
                            config_text='epoch: 1\nbase_lr: 0.1\n')
    assert paddle.load(files.pdparams).keys() == model.state_dict().keys()  # plain paddle.load
    _train(model, opt, sched, 2)  # the "crashed" continuation, thrown away
    np.random.seed(999)
    paddle.seed(999)

    model2, opt2, sched2 = _build()  # fresh objects, other internal parameter names
    state = load_checkpoint_for_resume(str(tmp_path), model2, opt2,
                                       current_config_text='epoch: 1\nbase_lr: 0.2\n')
    assert state.step == SPLIT and state.prefix.endswith('step_5')
    assert state.config_diff == ('-base_lr: 0.1', '+base_lr: 0.2')
    assert set(state.restored) >= {'model', 'optimizer', 'rng'}
    _train(model2, opt2, sched2, STEPS - SPLIT)
    got = _weights(model2)
    for k in expected:
        assert np.array_equal(got[k], expected[k]), k


def test_resume_into_other_class_count_is_an_error(tmp_path):
    save_checkpoint(str(tmp_path / 'm'), TinyYolo(80), config_text='num_classes: 80\n')
    with pytest.raises(WeightsError) as e:
        load_checkpoint_for_resume(str(tmp_path / 'm'), TinyYolo(3),
                                   current_config_text='num_classes: 3\n')
    msg = str(e.value)
    assert 'yolo_head.yolo_output.0.weight: checkpoint [255, 16, 1, 1] vs model [24, 16, 1, 1]' \
        in msg
    assert '-num_classes: 80' in msg and '+num_classes: 3' in msg


def test_interrupted_save_is_detected_and_latest_kept(tmp_path):
    model = TinyYolo(3)
    save_checkpoint(str(tmp_path / 'epoch_1'), model, epoch=1)
    files = save_checkpoint(str(tmp_path / 'epoch_2'), model, epoch=2)
    # a crash while overwriting epoch_2: new weights renamed in, metadata still the old one
    os.utime(files.pdparams, ns=(1, 1))
    with pytest.raises(WeightsError, match='interrupted'):
        load_checkpoint_for_resume(files.prefix, TinyYolo(3))
    assert load_checkpoint_for_resume(str(tmp_path / 'epoch_1'), TinyYolo(3)).epoch == 1


def test_saved_checkpoint_metadata_feeds_pretrain_loading(tmp_path):
    files = save_checkpoint(str(tmp_path / 'm'), TinyYolo(2), class_names=['cat', 'dog'],
                            architecture='TinyYolo')
    meta = read_metadata(files.pdparams)
    assert meta['class_names'] == ['cat', 'dog'] and meta['architecture'] == 'TinyYolo'
    rep = load_pretrain_weights(TinyYolo(2), files.pdparams, target_class_names=['dog', 'cat'])
    assert [n for n, _, _ in rep.classes.kept] == ['dog', 'cat']


def test_resume_with_the_classes_in_another_order_is_refused(tmp_path):
    names = ['RBC', 'WBC', 'Platelets']
    src = TinyYolo(3)
    randomize(src, 8)
    prefix = save_checkpoint(str(tmp_path / 'epoch_3'), src, class_names=names, epoch=3).prefix
    with pytest.raises(WeightsError) as e:
        load_checkpoint_for_resume(prefix, TinyYolo(3), class_names=names[::-1])
    msg = str(e.value)
    assert 'cannot resume' in msg and 'another order' in msg
    assert '3 classes [RBC, WBC, Platelets]' in msg and '3 classes [Platelets, WBC, RBC]' in msg
    # another case is the same class list
    assert load_checkpoint_for_resume(prefix, TinyYolo(3), class_names=['rbc', 'wbc',
                                                                        'platelets']).epoch == 3
    # remedy 2 of the message: a new run with pretrain_weights=<prefix>.pdparams copies the
    # head by class name (remedy 1, the run's own label list, is the line above)
    assert f'pretrain_weights={prefix}.pdparams' in msg
    dst = TinyYolo(3)
    rep = load_pretrain_weights(dst, prefix + '.pdparams', target_class_names=names[::-1])
    assert [(n, s) for n, _, s in rep.classes.kept] == [('Platelets', 2), ('WBC', 1), ('RBC', 0)]
    src.eval(), dst.eval()
    x = paddle.rand([1, 3, 8, 8])
    for s, d in zip(src(x), dst(x)):
        s, d = (t.numpy().reshape(1, 3, 5 + 3, 8, 8) for t in (s, d))  # per anchor
        assert np.array_equal(d[:, :, :5], s[:, :, :5])
        assert np.array_equal(d[:, :, 5:], s[:, :, 5:][:, :, ::-1])
