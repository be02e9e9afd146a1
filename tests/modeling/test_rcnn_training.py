"""Instant training of the anchor-based families on CPU, on two real BCCD images.

Faster R-CNN (ResNet-18 FPN) and RetinaNet (ResNet-18 FPN P3..P7) as built by
`tests/modeling/_rcnn_helpers.py`: the real RPN, assigners, RoIAlign, box head, focal loss,
decoders and NMS at a small width. Sampling is deterministic (`use_random: false`) so a run
is repeatable. The loss falls within a few iterations, and a few dozen make each detector
find the boxes of those two images: VOC AP50 >= 0.9 by ppdet.metrics.
"""
import numpy as np
import pytest

from tests.modeling._rcnn_helpers import (batch_of, bccd_sample, small_faster_rcnn,
                                          small_retinanet, voc_ap50)
from tests.modeling._training import train_adam

STEMS = ['BloodImage_00000', 'BloodImage_00001']
# family -> (builder, input size); RetinaNet's dense head needs a little more resolution
FAMILIES = {'faster_rcnn': (small_faster_rcnn, 160), 'retinanet': (small_retinanet, 192)}


@pytest.mark.parametrize('family', sorted(FAMILIES))
def test_two_bccd_images_reach_ap50(family):
    build, size = FAMILIES[family]
    samples = [bccd_sample(s, size) for s in STEMS]
    model = build(3)
    losses = train_adam(model, batch_of(samples), 48, 1e-3, decay_at=40)
    assert np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:3]), losses
    assert voc_ap50(model, samples, 3) >= 0.9
