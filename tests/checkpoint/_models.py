"""Small real paddle models with detector-style names for the checkpoint tests, the real
families at tiny sizes, and the check that a load did exactly what its plan says."""
from pathlib import Path
from typing import Dict, Sequence

import numpy as np
import paddle
import paddle.nn as nn

from ppdet.modeling.class_layout import ClassLayout

YOLO_LAYOUT = ClassLayout(prefix=5, per_class=1, background=None)


class ConvBN(nn.Layer):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv = nn.Conv2D(cin, cout, 3, padding=1, bias_attr=False)
        self.batch_norm = nn.BatchNorm2D(cout)

    def forward(self, x):
        return nn.functional.relu(self.batch_norm(self.conv(x)))


class Backbone(nn.Layer):
    def __init__(self):
        super().__init__()
        self.stem = ConvBN(3, 8)
        self.stage = ConvBN(8, 16)

    def forward(self, x):
        return self.stage(self.stem(x))


class Head(nn.Layer):
    def __init__(self, num_classes: int, anchors: int = 3):
        super().__init__()
        self.num_classes = num_classes
        self.yolo_output = nn.LayerList(
            [nn.Conv2D(16, anchors * (5 + num_classes), 1) for _ in range(2)])

    def forward(self, x):
        return [conv(x) for conv in self.yolo_output]


class TinyYolo(nn.Layer):
    """backbone / neck / yolo_head with YOLO's per-anchor [5 + C] output layout."""
    class_layouts: Dict[str, ClassLayout] = {
        f'yolo_head.yolo_output.{i}': YOLO_LAYOUT for i in range(2)}

    def __init__(self, num_classes: int):
        super().__init__()
        self.backbone = Backbone()
        self.neck = ConvBN(16, 16)
        self.yolo_head = Head(num_classes)

    def forward(self, x):
        return self.yolo_head(self.neck(self.backbone(x)))


def randomize(model: nn.Layer, seed: int) -> None:
    """Give every tensor (BN statistics included) distinct random values."""
    gen = paddle.seed(seed)  # noqa: F841
    for name, t in model.state_dict().items():
        val = paddle.rand(t.shape, dtype=t.dtype) + (0.5 if name.endswith('_variance') else 0)
        t.set_value(val)


# -- real families at tiny sizes, built from the shipped configs ------------------------------
ROOT = Path(__file__).resolve().parents[2]
BCCD_NAMES = ['RBC', 'WBC', 'Platelets']
SSD_BCCD = str(ROOT / 'configs' / 'ssd' / 'ssd_mobilenet_v1_bccd.yml')
YOLO_BCCD = str(ROOT / 'configs' / 'yolov3' / 'yolov3_mobilenet_v1_bccd.yml')
# a run of yolov3_mobilenet_v1_bccd.yml small enough for a test (no download, one iteration)
TINY_RUN = ['pretrain_weights=', 'use_gpu=false', 'worker_num=0', 'MobileNet.scale=0.25',
            'TrainDataset.sample_num=4', 'TrainReader.batch_size=2', 'epoch=1', 'max_iters=1',
            'TrainReader.batch_transforms.0.BatchRandomResize.target_size=[128, 160]']


def build_from_config(config: str, overrides: Sequence[str] = ()) -> nn.Layer:
    """The architecture of a shipped config (MobileNet at a quarter width), e.g. SSD for 20
    classes: `build_from_config(SSD_BCCD, ['num_classes=20'])`."""
    from ppdet.core.workspace import create, load_config, merge_config
    cfg = load_config(config)
    merge_config(cfg, ['MobileNet.scale=0.25'] + list(overrides))
    return create(cfg.architecture, cfg)


def state_arrays(model: nn.Layer) -> Dict[str, np.ndarray]:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def assert_applied_as_planned(before: Dict[str, np.ndarray], model: nn.Layer,
                              ckpt: Dict[str, np.ndarray], report) -> None:
    """Every model tensor is exactly what its record says: `loaded` = the named checkpoint
    tensor, `transferred` = the mapped channels from it and the rest untouched, anything else
    untouched. This is the promise that the printed plan is what was done."""
    after = state_arrays(model)
    assert report.applied
    for r in report.records:
        if r.status == 'loaded':
            assert np.array_equal(after[r.name], ckpt[r.source_name]), r.name
        elif r.status == 'transferred':
            plan = r.transfer
            dst = np.take(after[r.name], plan.dst_idx, axis=plan.axis)
            src = np.take(ckpt[r.source_name], plan.src_idx, axis=plan.axis)
            assert np.array_equal(dst, src), r.name
            rest = np.setdiff1d(np.arange(after[r.name].shape[plan.axis]), plan.dst_idx)
            assert np.array_equal(np.take(after[r.name], rest, axis=plan.axis),
                                  np.take(before[r.name], rest, axis=plan.axis)), r.name
        else:
            assert np.array_equal(after[r.name], before[r.name]), (r.name, r.status)


def save_tiny_yolo_checkpoint(prefix: Path, class_names: Sequence[str], seed: int = 0) -> str:
    """A checkpoint of the tiny `yolov3_mobilenet_v1_bccd.yml` model as training writes it
    (weights, optimizer, metadata with `class_names`); returns its prefix."""
    from ppdet.checkpoint import save_checkpoint
    model = build_from_config(YOLO_BCCD)
    randomize(model, seed)
    sched = paddle.optimizer.lr.PiecewiseDecay([100], [0.001, 0.0001])
    opt = paddle.optimizer.Momentum(learning_rate=sched, momentum=0.9,
                                    parameters=model.parameters())
    return save_checkpoint(str(prefix), model, opt, epoch=1, step=2, lr_scheduler=sched,
                           architecture='YOLOv3', class_names=list(class_names),
                           update_latest=False).prefix
