"""Instant SSD training on CPU, on two real BCCD images.

1. The loss falls within a few iterations.
2. A few dozen iterations make SSD-MobileNet find the boxes of those two images: VOC AP50
   >= 0.9 by ppdet.metrics. The backbone is MobileNetV1 at half width (same structure,
   a quarter of the compute) so the test runs in seconds; head, priors, loss, decoder and NMS
   are those of configs/ssd/ssd_mobilenet_v1_300_120e_voc.yml.
"""
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import paddle

from tests.modeling._training import train_adam
from tests.helpers.material import shipped_path

ROOT = Path(__file__).resolve().parents[2]
NAMES = ['RBC', 'WBC', 'Platelets']
SIZE = 300
STEMS = ['BloodImage_00000', 'BloodImage_00001']


def _bccd(stem):
    import cv2
    root = shipped_path('dataset', 'bccd', 'JPEGImages', f'{stem}.jpg').parents[1]
    img = cv2.imread(str(root / 'JPEGImages' / f'{stem}.jpg'))
    h0, w0 = img.shape[:2]
    img = cv2.resize(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), (SIZE, SIZE),
                     interpolation=cv2.INTER_LINEAR)
    x = ((img.astype('float32') - 127.5) / 127.502231).transpose(2, 0, 1)  # the SSD reader's
    boxes, classes = [], []
    for obj in ET.parse(str(root / 'Annotations' / f'{stem}.xml')).findall('object'):
        bb = obj.find('bndbox')
        boxes.append([float(bb.find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax')])
        classes.append(NAMES.index(obj.find('name').text.strip()))
    return x, np.array(boxes, 'float32'), np.array(classes), (h0, w0)


def _batch(samples):
    """As NormalizeBox + PadBox make it: gt in 0..1, padded with zero rows."""
    g = max(len(s[2]) for s in samples) + 3
    gt_bbox = np.zeros([len(samples), g, 4], 'float32')
    gt_class = np.zeros([len(samples), g, 1], 'int32')
    for i, (_, boxes, cls, (h0, w0)) in enumerate(samples):
        gt_bbox[i, :len(cls)] = boxes / np.array([w0, h0, w0, h0], 'float32')
        gt_class[i, :len(cls), 0] = cls
    return {'image': paddle.to_tensor(np.stack([s[0] for s in samples])),
            'gt_bbox': paddle.to_tensor(gt_bbox), 'gt_class': paddle.to_tensor(gt_class)}


def _ssd(num_classes, scale):
    from ppdet.modeling.architectures.ssd import SSD
    from ppdet.modeling.backbones.mobilenet_v1 import MobileNet
    from ppdet.modeling.heads.ssd_head import SSDHead
    from ppdet.modeling.layers.anchor_generator_ssd import AnchorGeneratorSSD
    from ppdet.modeling.ops.nms import MultiClassNMS
    from ppdet.modeling.ops.ssd_box import SSDBox
    from ppdet.modeling.post_process import BBoxPostProcess
    paddle.seed(0)
    extra = [[int(a * scale), int(b * scale)] for a, b in [[256, 512], [128, 256], [128, 256],
                                                          [64, 128]]]
    backbone = MobileNet(scale=scale, feature_maps=[11, 13, 14, 15, 16, 17],
                         with_extra_blocks=True, extra_block_filters=extra)
    anchors = AnchorGeneratorSSD(
        steps=[0] * 6, aspect_ratios=[[2.], [2., 3.], [2., 3.], [2., 3.], [2., 3.], [2., 3.]],
        min_sizes=[60.0, 105.0, 150.0, 195.0, 240.0, 285.0],
        max_sizes=[[], 150.0, 195.0, 240.0, 285.0, 300.0])
    head = SSDHead(num_classes, [s.channels for s in backbone.out_shape], anchors,
                   kernel_size=1, padding=0)
    post = BBoxPostProcess(num_classes, SSDBox(),
                           MultiClassNMS(score_threshold=0.01, nms_top_k=400, keep_top_k=200,
                                         nms_threshold=0.45))
    return SSD(backbone, head, post)


def test_loss_falls_in_a_few_iterations():
    batch = _batch([_bccd(s) for s in STEMS])
    losses = train_adam(_ssd(3, 0.5), batch, 8, 1e-3)
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.7 * losses[0], losses


def test_two_bccd_images_reach_ap50():
    from ppdet.metrics.metrics import VOCMetric
    samples = [_bccd(s) for s in STEMS]
    batch = _batch(samples)
    model = _ssd(3, 0.5)
    losses = train_adam(model, batch, 60, 1e-3)
    assert losses[-1] < 0.1 * losses[0], losses
    # BatchNorm running statistics trail the weights after so few (fast-moving) steps:
    # settle them with a few forward passes before evaluating with them.
    with paddle.no_grad():
        for _ in range(10):
            model(dict(batch))
    model.eval()
    metric = VOCMetric(NAMES, map_type='11point', gt_in_input_scale=False)
    with paddle.no_grad():
        for x, boxes, cls, (h0, w0) in samples:
            out = model({'image': paddle.to_tensor(x[None]),
                         'im_shape': paddle.to_tensor([[float(SIZE), float(SIZE)]]),
                         'scale_factor': paddle.to_tensor([[SIZE / h0, SIZE / w0]])})
            metric.update({'gt_bbox': [boxes], 'gt_class': [cls]}, out)
    metric.accumulate()
    ap50 = metric.result()['bbox'][0]
    assert ap50 >= 0.9, (ap50, metric.per_class_ap())
