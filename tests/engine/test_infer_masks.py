"""Inference with a mask model: masks cut to each image, drawn, and written as RLE in
detections.json (and mask.json) that decode back to the same pixels; box models' files keep
their format."""
from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import paddle

from ppdet.data import reader as readers
from ppdet.data.transform import Decode, NormalizeImage, PadBatch, Permute, Resize
from ppdet.deploy.compare import detections_by_image
from ppdet.engine.inference import ImageList, Prediction, predict_images, write_predictions
from ppdet.metrics import decode_rle
from tests.engine.conftest import ROOT

BOX = (50, 60, 150, 160)  # x1, y1, x2, y2 of the one object the model finds in every image


class RectangleMasks(paddle.nn.Layer):
    """A stand-in mask model: per image a padding row and one detection whose mask is BOX,
    in a [N, H, W] output padded to the batch's largest original image (as MaskPostProcess
    returns it)."""

    def forward(self, inputs):
        orig = (inputs['im_shape'] / inputs['scale_factor']).numpy().round().astype(int)
        h, w = orig.max(axis=0)
        n = len(orig)
        rows = np.array([[-1, 0, 0, 0, 0, 0], [1, 0.9, *BOX]] * n, np.float32)
        masks = np.zeros((2 * n, h, w), np.int32)
        masks[1::2, BOX[1]:BOX[3], BOX[0]:BOX[2]] = 1
        masks[0::2] = 1  # the padding rows' masks must be dropped with them
        return {'bbox': paddle.to_tensor(rows), 'bbox_num': paddle.to_tensor([2] * n),
                'mask': paddle.to_tensor(masks)}


def _images(tmp_path):
    src = ROOT / 'dataset' / 'bccd_seg' / 'labelme' / 'BloodImage_00012.jpg'
    big = tmp_path / 'big.jpg'
    shutil.copy(src, big)
    small = tmp_path / 'small.png'
    cv2.imwrite(str(small), cv2.imread(str(src))[:240, :320])
    return ImageList([str(big), str(small)])


def test_masks_are_cut_drawn_and_written_as_rle(tmp_path):
    reader = readers.TestReader(
        sample_transforms=[Decode(), Resize([160, 160], keep_ratio=True), NormalizeImage(),
                           Permute()], batch_transforms=[PadBatch(32)], batch_size=2)
    images = _images(tmp_path)
    preds = list(predict_images(RectangleMasks(), reader, images))
    assert [p.masks.shape for p in preds] == [(1, 480, 640), (1, 240, 320)]
    want = np.zeros((480, 640), np.uint8)
    want[BOX[1]:BOX[3], BOX[0]:BOX[2]] = 1
    out = write_predictions(iter(preds), images, ['WBC', 'Platelets'], str(tmp_path / 'out'),
                            threshold=0.5, save_results=True, clsid2catid={0: 1, 1: 2},
                            log=lambda *_: None)
    doc = json.loads(open(out.detections_json).read())
    assert 'mask_format' in doc
    for entry, size in zip(doc['images'], [(480, 640), (240, 320)]):
        (det,) = entry['detections']
        assert det['category'] == 'Platelets' and det['bbox'] == list(map(float, BOX))
        assert det['segmentation']['size'] == list(size)
        assert isinstance(det['segmentation']['counts'], str)
        np.testing.assert_array_equal(decode_rle(det['segmentation']), want[:size[0], :size[1]])
        original, drawn = cv2.imread(entry['file']), cv2.imread(entry['output'])
        inner = (slice(BOX[1] + 5, BOX[3] - 5), slice(BOX[0] + 5, BOX[2] - 5))
        assert np.abs(drawn[inner].astype(int) - original[inner]).mean() > 20  # tinted
        # away from the box: unchanged but for JPEG re-encoding of big.jpg (a few levels;
        # the PNG is lossless)
        assert np.abs(drawn[200:, 200:].astype(int) - original[200:, 200:]).mean() < 3
    segm = json.loads(open(out.mask_results_json).read())
    assert [r['category_id'] for r in segm] == [2, 2]
    np.testing.assert_array_equal(decode_rle(segm[1]['segmentation']), want[:240, :320])
    assert set(detections_by_image(doc)) == {'big.jpg', 'small.png'}


def test_box_models_write_the_same_json_as_before(tmp_path):
    images = _images(tmp_path)
    preds = [Prediction(f, i, np.array([[0, 0.8, *BOX]])) for i, f in enumerate(images.images)]
    out = write_predictions(iter(preds), images, ['WBC', 'Platelets'], str(tmp_path / 'out'),
                            save_results=True, log=lambda *_: None)
    doc = json.loads(open(out.detections_json).read())
    assert set(doc) == {'class_names', 'class_names_from', 'draw_threshold', 'bbox_format',
                        'counts', 'images', 'skipped'}
    assert set(doc['images'][0]['detections'][0]) == {'category', 'category_id', 'score',
                                                      'bbox'}
    assert out.mask_results_json is None and not (tmp_path / 'out' / 'mask.json').exists()
