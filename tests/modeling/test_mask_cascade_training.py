"""Instant training of Mask R-CNN and Cascade Mask R-CNN on CPU, on two real BCCD images with
drawn instance polygons (`tests/modeling/_mask_helpers.py`: the ellipse inscribed in each box).

The models are the real components at a small width (ResNet-18, 64-wide FPN, one 32-wide mask
conv): RPN, box assigner, mask targets rasterised from the polygons, RoIAlign, the box head
(three cascade stages for Cascade), the mask head, decoding, NMS and mask pasting. Sampling is
deterministic (`use_random: false`), so a run is repeatable. The loss falls within a few
iterations, and 48 make each model find the objects of those two images: COCO AP50 >= 0.9 for
the boxes and >= 0.8 for the masks (pycocotools).
"""
import numpy as np
import pytest

from tests.modeling._mask_helpers import (bccd_instance_sample, coco_ap50, instance_batch,
                                          small_cascade_rcnn, small_mask_rcnn)
from tests.modeling._training import train_adam

SIZE = 160
STEMS = ['BloodImage_00000', 'BloodImage_00001']
MODELS = {'mask_rcnn': lambda: small_mask_rcnn(3),
          'cascade_mask_rcnn': lambda: small_cascade_rcnn(3, with_mask=True)}


@pytest.fixture(scope='module')
def samples():
    return [bccd_instance_sample(s, SIZE) for s in STEMS]


@pytest.mark.parametrize('name', sorted(MODELS))
def test_two_bccd_images_reach_box_and_mask_ap50(name, samples):
    model = MODELS[name]()
    losses = train_adam(model, instance_batch(samples), 48, 1e-3, decay_at=40)
    assert np.isfinite(losses).all()
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:3]), losses
    box_ap50, mask_ap50 = coco_ap50(model, samples, 3)
    assert box_ap50 >= 0.9 and mask_ap50 >= 0.8, (box_ap50, mask_ap50)
