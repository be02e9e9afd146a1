"""Instant training on CPU: YOLOv3 learns, on inputs small enough to run in seconds.

1. Synthetic images with a few bright boxes, targets from the reader's Gt2YoloTarget: the
   loss falls.
2. Two real BCCD images: a few dozen iterations make the detector find their boxes
   (VOC AP50 >= 0.9 on those images, computed by ppdet.metrics).
"""
import xml.etree.ElementTree as ET

import numpy as np
import paddle

from tests.modeling._training import train_adam
from tests.helpers.material import shipped_path

ANCHORS = [[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90], [156, 198],
           [373, 326]]
MASKS = [[6, 7, 8], [3, 4, 5], [0, 1, 2]]
MEAN = np.array([0.485, 0.456, 0.406], 'float32')
STD = np.array([0.229, 0.224, 0.225], 'float32')


def _small_yolo(num_classes):
    """YOLOv3 on a quarter-width MobileNetV1 (same structure, fewer channels)."""
    from ppdet.modeling.architectures.yolov3 import YOLOv3
    from ppdet.modeling.backbones.mobilenet_v1 import MobileNet
    from ppdet.modeling.heads.yolo_head import YOLOv3Head
    from ppdet.modeling.losses.yolo_loss import YOLOv3Loss
    from ppdet.modeling.necks.yolo_fpn import YOLOv3FPN
    from ppdet.modeling.ops.nms import MultiClassNMS
    from ppdet.modeling.ops.yolo_box import YOLOBox
    from ppdet.modeling.post_process import BBoxPostProcess
    paddle.seed(0)
    backbone = MobileNet(scale=0.25, feature_maps=[4, 6, 13])
    neck = YOLOv3FPN(in_channels=[s.channels for s in backbone.out_shape])
    head = YOLOv3Head(in_channels=[s.channels for s in neck.out_shape], anchors=ANCHORS,
                      anchor_masks=MASKS, num_classes=num_classes,
                      loss=YOLOv3Loss(num_classes=num_classes, ignore_thresh=0.7))
    post = BBoxPostProcess(num_classes, YOLOBox(num_classes, conf_thresh=0.005),
                           MultiClassNMS(score_threshold=0.01, nms_top_k=1000, keep_top_k=100,
                                         nms_threshold=0.45))
    return YOLOv3(backbone, neck, head, post)


def _targets(images_chw, boxes_xyxy, classes, num_classes):
    """Batch dict as the reader makes it: normalised xywh gt_bbox padded to 50, targets."""
    from ppdet.data.transform.batch import Gt2YoloTarget
    size = images_chw[0].shape[1:]
    samples = []
    for img, box, cls in zip(images_chw, boxes_xyxy, classes):
        h, w = size
        xywh = np.stack([(box[:, 0] + box[:, 2]) / 2 / w, (box[:, 1] + box[:, 3]) / 2 / h,
                         (box[:, 2] - box[:, 0]) / w, (box[:, 3] - box[:, 1]) / h], 1)
        samples.append({'image': img, 'gt_bbox': xywh.astype('float32'),
                        'gt_class': cls.reshape(-1, 1).astype('int32')})
    op = Gt2YoloTarget(ANCHORS, MASKS, [32, 16, 8], num_classes=num_classes)
    samples = op(samples, np.random.default_rng(0))
    batch = {'image': paddle.to_tensor(np.stack([s['image'] for s in samples]))}
    pad = np.zeros((len(samples), 50, 4), 'float32')
    for i, s in enumerate(samples):
        pad[i, :len(s['gt_bbox'])] = s['gt_bbox']
    batch['gt_bbox'] = paddle.to_tensor(pad)
    for lvl in range(3):
        batch[f'target{lvl}'] = paddle.to_tensor(np.stack([s[f'target{lvl}'] for s in samples]))
    return batch


def test_loss_falls_on_synthetic_boxes():
    rng = np.random.default_rng(0)
    size, num_classes = 128, 2
    images, boxes, classes = [], [], []
    for _ in range(2):
        img = rng.normal(0, 0.2, (3, size, size)).astype('float32')
        box = np.array([[16, 20, 64, 80], [70, 30, 120, 60]], 'float32')
        for (x1, y1, x2, y2), c in zip(box.astype(int), [0, 1]):
            img[c, y1:y2, x1:x2] += 2.0
        images.append(img)
        boxes.append(box)
        classes.append(np.array([0, 1]))
    model = _small_yolo(num_classes)
    losses = train_adam(model, _targets(images, boxes, classes, num_classes), 8, 1e-3)
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.7 * losses[0], losses


def _bccd_sample(stem, size):
    import cv2
    root = shipped_path('dataset', 'bccd', 'JPEGImages', f'{stem}.jpg').parents[1]
    img = cv2.imread(str(root / 'JPEGImages' / f'{stem}.jpg'))
    h0, w0 = img.shape[:2]
    img = cv2.resize(cv2.cvtColor(img, cv2.COLOR_BGR2RGB), (size, size),
                     interpolation=cv2.INTER_LINEAR)
    x = ((img.astype('float32') / 255. - MEAN) / STD).transpose(2, 0, 1)
    names = ['Platelets', 'RBC', 'WBC']
    boxes, classes = [], []
    for obj in ET.parse(str(root / 'Annotations' / f'{stem}.xml')).findall('object'):
        bb = obj.find('bndbox')
        boxes.append([float(bb.find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax')])
        classes.append(names.index(obj.find('name').text.strip()))
    boxes = np.array(boxes, 'float32')
    scale = np.array([size / w0, size / h0, size / w0, size / h0], 'float32')
    return x, boxes, boxes * scale, np.array(classes), (h0, w0)


def test_two_bccd_images_reach_ap50():
    from ppdet.metrics.voc_map import DetectionMAP
    size, num_classes = 224, 3
    stems = ['BloodImage_00000', 'BloodImage_00001']
    data = [_bccd_sample(s, size) for s in stems]
    batch = _targets([d[0] for d in data], [d[2] for d in data], [d[3] for d in data],
                     num_classes)
    model = _small_yolo(num_classes)
    train_adam(model, batch, 70, 3e-3, decay_at=50)
    model.eval()
    metric = DetectionMAP(class_num=num_classes, overlap_thresh=0.5, map_type='11point')
    for x, orig_boxes, _, cls, (h0, w0) in data:
        with paddle.no_grad():
            out = model({'image': paddle.to_tensor(x[None]),
                         'im_shape': paddle.to_tensor([[float(size), float(size)]]),
                         'scale_factor': paddle.to_tensor([[size / h0, size / w0]])})
        metric.update(out['bbox'].numpy(), orig_boxes, cls)
    ap = metric.accumulate()
    assert ap >= 0.9, ap
