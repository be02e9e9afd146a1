"""Shared steps of the class-aware head transfer tests: a COCO-80 model with distinct class
channels, transferred to [person, car], and one real image."""
from typing import Sequence

import numpy as np
import paddle

from ppdet.checkpoint import COCO80_CLASS_NAMES, load_pretrain_weights
from tests.modeling._rcnn_helpers import bccd_sample

TARGET = ['person', 'car']
KEPT = [COCO80_CLASS_NAMES.index(n) for n in TARGET]


def zoo_like(model, seed: int, class_prefixes: Sequence[str]):
    """Weights whose class channels differ from one another (as trained ones do)."""
    rng = np.random.default_rng(seed)
    sd = {}
    for k, v in model.state_dict().items():
        v = v.numpy()
        if k.startswith(tuple(class_prefixes)):
            v = (rng.standard_normal(v.shape) * 0.05).astype('float32')
        sd[k] = v
    model.set_state_dict(sd)
    return sd


def transfer(src, dst, class_prefixes: Sequence[str]):
    """COCO-80 `src` -> [person, car] `dst` by class name; every tensor is used."""
    sd = zoo_like(src, 0, class_prefixes)
    report = load_pretrain_weights(dst, sd, target_class_names=TARGET,
                                   source_class_names=COCO80_CLASS_NAMES)
    assert [n for n, _, _ in report.classes.kept] == TARGET
    assert len(report.by_status('loaded')) + len(report.by_status('transferred')) == len(sd)
    src.eval()
    dst.eval()
    return report


def image(size: int):
    s = bccd_sample('BloodImage_00007', size)
    return {k: paddle.to_tensor(s[k][None]) for k in ('image', 'im_shape', 'scale_factor')}
