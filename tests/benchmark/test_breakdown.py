"""The benchmark's breakdown times the parts where R-CNN work happens, and leaves the model as
it was: same attributes, no hooks, bit-equal outputs."""
import numpy as np
import paddle

from ppdet.benchmark.breakdown import instrumented, render_breakdown
from tests.modeling._rcnn_helpers import batch_of, bccd_sample, small_faster_rcnn


def _detect(model, batch):
    with paddle.no_grad():
        return model(dict(batch))['bbox'].numpy()


def test_parts_are_timed_and_the_model_is_left_as_it_was():
    paddle.seed(0)
    model = small_faster_rcnn(3)
    model.eval()
    batch = batch_of([bccd_sample('BloodImage_00000', 160)])
    before = _detect(model, batch)
    helpers = (model.rpn_head.test_proposal, model.bbox_head.roi_extractor)
    with instrumented(model) as clock:
        assert np.array_equal(_detect(model, batch), before)
    parts = set(clock.seconds)
    assert {'backbone', 'neck', 'rpn_head', 'bbox_head', 'rpn_head.test_proposal',
            'bbox_head.roi_extractor'} <= parts, parts
    assert all(s >= 0 for s in clock.seconds.values())
    assert clock.seconds['rpn_head.test_proposal'] <= clock.seconds['rpn_head']
    assert (model.rpn_head.test_proposal, model.bbox_head.roi_extractor) == helpers
    assert not model.backbone._forward_pre_hooks and not model.backbone._forward_post_hooks
    assert np.array_equal(_detect(model, batch), before)
    lines = render_breakdown(clock, sum(clock.seconds[n] for n in parts if '.' not in n) + 0.1,
                             'where inference time goes')
    assert lines[-1].split()[:3] == ['(outside', 'the', 'parts)']
    assert float(lines[-1].split()[3]) >= 0.099  # the 0.1 s given beyond the parts
    assert [line.split()[0] for line in lines[1:] if not line.startswith('    ')][:-1] == \
        sorted((n for n in parts if '.' not in n), key=lambda n: -clock.seconds[n])
