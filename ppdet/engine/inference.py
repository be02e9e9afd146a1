"""Predict on image files: decode, the TestReader's transforms, the model, detections in the
original image's pixels; then draw them and write them as JSON.

Works with any architecture that follows the detector contract (`meta_arch`): the model gets
`image`, `im_shape`, `scale_factor` and returns `bbox` rows (class, score, x1, y1, x2, y2) in
original pixels plus `bbox_num` per image (and, for mask models, `mask` [N, H, W] 0/1). Files
that are not images are skipped and counted; an image that cannot be decoded is skipped with
its reason, so one bad file does not stop a folder of thousands.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import paddle

from ppdet.core.errors import DatasetError, PPDetError
from ppdet.data.source.image_info import IMAGE_EXTENSIONS
from ppdet.data.transform.decode import decode_image, read_file
from ppdet.engine.batch import to_model_inputs
from ppdet.engine.visualize import draw_detections
from ppdet.metrics.masks import encode_rle, fit_masks
from ppdet.utils.fileio import atomic_write_json

__all__ = ['ImageList', 'collect_images', 'Prediction', 'predict_images', 'InferenceOutputs',
           'write_predictions', 'DETECTIONS_JSON', 'COCO_RESULTS_JSON', 'MASK_RESULTS_JSON']

DETECTIONS_JSON = 'detections.json'
COCO_RESULTS_JSON = 'bbox.json'
MASK_RESULTS_JSON = 'mask.json'
MASK_FORMAT = ('segmentation: COCO RLE of the original image ({"size": [height, width], '
               '"counts": str}); decode with pycocotools.mask.decode after counts.encode()')


@dataclass
class ImageList:
    """Images to predict on, and what was left out of the folder (and why)."""
    images: List[str]
    non_images: List[str] = field(default_factory=list)
    unreadable: List[Tuple[str, str]] = field(default_factory=list)


def collect_images(infer_img: Optional[str] = None,
                   infer_dir: Optional[str] = None) -> ImageList:
    """`--infer_img` (one file, used whatever its extension) and/or `--infer_dir` (its image
    files by extension, sorted; other files are counted, subfolders are not entered)."""
    if not infer_img and not infer_dir:
        raise DatasetError('nothing to predict on: give --infer_img a.jpg or --infer_dir folder')
    out = ImageList([])
    if infer_img:
        if not os.path.isfile(infer_img):
            raise DatasetError(f'--infer_img {infer_img}: no such file')
        out.images.append(infer_img)
    if infer_dir:
        if not os.path.isdir(infer_dir):
            raise DatasetError(f'--infer_dir {infer_dir}: no such folder')
        for name in sorted(os.listdir(infer_dir)):
            path = os.path.join(infer_dir, name)
            if not os.path.isfile(path):
                continue
            if name.lower().endswith(IMAGE_EXTENSIONS):
                out.images.append(path)
            else:
                out.non_images.append(path)
        if not out.images:
            raise DatasetError(f'--infer_dir {infer_dir} holds no image files '
                               f'({", ".join(IMAGE_EXTENSIONS)}); {len(out.non_images)} other '
                               f'files were skipped')
    return out


@dataclass(frozen=True)
class Prediction:
    """Detections of one image: rows (class, score, x1, y1, x2, y2), original pixels; for
    mask models also `masks` [N, h, w] uint8 0/1 in the image's own size, rows aligned."""
    file: str
    index: int
    detections: np.ndarray
    masks: Optional[np.ndarray] = None


def _make_batch(pipeline: Any, files: Sequence[str], first: int,
                batch_index: int) -> Dict[str, Any]:
    records = [{'im_file': f, 'im_id': first + i} for i, f in enumerate(files)]
    return pipeline.batch(records, list(range(len(records))), batch_index, 0, 0)


@paddle.no_grad()
def predict_images(model: Any, reader: Any, images: ImageList) -> Iterator[Prediction]:
    """Run `model` over `images.images` in batches of the reader's batch_size.

    A batch that fails to decode is retried image by image; the unreadable ones are appended
    to `images.unreadable` and skipped.
    """
    model.eval()
    pipeline = reader.pipeline
    files = list(images.images)
    size = max(1, int(reader.batch_size))
    for b, first in enumerate(range(0, len(files), size)):
        chunk = files[first:first + size]
        try:
            batch = _make_batch(pipeline, chunk, first, b)
        except DatasetError:
            batch = None
        if batch is not None:
            yield from _run(model, batch, chunk, first)
            continue
        for i, f in enumerate(chunk):
            try:
                single = _make_batch(pipeline, [f], first + i, b)
            except DatasetError as e:
                images.unreadable.append((f, str(e)))
                continue
            yield from _run(model, single, [f], first + i)


def _run(model: Any, batch: Dict[str, Any], group: Sequence[str],
         first: int) -> Iterator[Prediction]:
    out = model(to_model_inputs(batch))
    rows = np.asarray(out['bbox'].numpy(), np.float64).reshape(-1, 6)
    nums = np.asarray(out['bbox_num'].numpy()).reshape(-1).astype(np.int64)
    masks = out['mask'].numpy() if out.get('mask') is not None else None
    start = 0
    for i, f in enumerate(group):
        dets = rows[start:start + nums[i]]
        keep = dets[:, 0] >= 0
        mine = None
        if masks is not None:  # batch masks share the largest image's size: cut to this one
            mine = fit_masks(masks[start:start + nums[i]][keep], int(batch['h'][i]),
                             int(batch['w'][i]))
        start += int(nums[i])
        yield Prediction(f, first + i, dets[keep], mine)


@dataclass
class InferenceOutputs:
    """What `write_predictions` wrote."""
    output_dir: str
    drawn: List[str]
    detections_json: str
    coco_results_json: Optional[str] = None
    counts: Dict[str, int] = field(default_factory=dict)
    mask_results_json: Optional[str] = None


def _unique_name(name: str, used: Dict[str, int]) -> str:
    if name not in used:
        used[name] = 0
        return name
    used[name] += 1
    stem, ext = os.path.splitext(name)
    return _unique_name(f'{stem}_{used[name]}{ext}', used)


def write_predictions(predictions: Iterator[Prediction], images: ImageList,
                      class_names: Sequence[str], output_dir: str, threshold: float = 0.5,
                      save_results: bool = False, names_from: str = '',
                      clsid2catid: Optional[Dict[int, Any]] = None,
                      log: Any = print, draw: bool = True,
                      save_threshold: float = 0.0) -> InferenceOutputs:
    """Draw each image's detections (score >= threshold) into output_dir (unless `draw` is
    false) and write `detections.json`; with `save_results` also `bbox.json` with the
    detections of score >= `save_threshold` in COCO results format (xywh, category ids of the
    dataset).

    Mask models (predictions with `masks`) get their masks drawn, a `segmentation` (COCO RLE,
    counts as str) on each detection of `detections.json` and a top-level `mask_format`;
    with `save_results` also `mask.json` (COCO segm results). Box models' files are unchanged.
    """
    os.makedirs(output_dir, exist_ok=True)
    used: Dict[str, int] = {}
    entries, coco, segm, drawn = [], [], [], []
    with_masks = False
    for pred in predictions:
        entry, out_path = _one_image(pred, class_names, output_dir, threshold, used, draw)
        entries.append(entry)
        if out_path:
            drawn.append(out_path)
        log(f'{pred.file}: {len(entry["detections"])} detections >= {threshold}'
            + (f' -> {out_path}' if out_path else ''))
        with_masks = with_masks or pred.masks is not None
        if save_results:
            coco.extend(_coco_rows(pred, clsid2catid, save_threshold))
            segm.extend(_segm_rows(pred, clsid2catid, save_threshold))
    counts = {'images': len(entries), 'non_image_files_skipped': len(images.non_images),
              'unreadable_images_skipped': len(images.unreadable)}
    doc = {'class_names': list(class_names), 'class_names_from': names_from,
           'draw_threshold': threshold, 'bbox_format': 'x1, y1, x2, y2 in original-image pixels',
           **({'mask_format': MASK_FORMAT} if with_masks else {}),
           'counts': counts, 'images': entries,
           'skipped': {'non_image_files': images.non_images,
                       'unreadable_images': [{'file': f, 'reason': r}
                                             for f, r in images.unreadable]}}
    det_path = os.path.join(output_dir, DETECTIONS_JSON)
    atomic_write_json(det_path, doc)
    coco_path = mask_path = None
    if save_results:
        coco_path = os.path.join(output_dir, COCO_RESULTS_JSON)
        atomic_write_json(coco_path, coco)
        if with_masks:
            mask_path = os.path.join(output_dir, MASK_RESULTS_JSON)
            atomic_write_json(mask_path, segm)
    return InferenceOutputs(output_dir, drawn, det_path, coco_path, counts, mask_path)


def _detection_entry(d: Dict[str, Any]) -> Dict[str, Any]:
    entry = {'category': d['category'], 'category_id': d['category_id'], 'score': d['score'],
             'bbox': d['bbox_xyxy']}
    if 'segmentation' in d:
        entry['segmentation'] = d['segmentation']
    return entry


def _segm_rows(pred: Prediction, clsid2catid: Optional[Dict[int, Any]],
               save_threshold: float = 0.0) -> List[Dict[str, Any]]:
    if pred.masks is None:
        return []
    return [{'image_id': pred.index, 'file': pred.file,
             'category_id': (clsid2catid or {}).get(int(row[0]), int(row[0])),
             'segmentation': rle, 'score': round(float(row[1]), 5)}
            for row, rle in zip(pred.detections.tolist(), encode_rle(pred.masks))
            if row[1] >= save_threshold]


def _one_image(pred: Prediction, class_names: Sequence[str], output_dir: str,
               threshold: float, used: Dict[str, int], draw: bool) -> Tuple[Dict[str, Any],
                                                                             Optional[str]]:
    """The detections.json entry of one image, and the drawn file (None when not drawing)."""
    original = cv2.cvtColor(decode_image(read_file(pred.file), pred.file), cv2.COLOR_RGB2BGR)
    canvas, dets = draw_detections(original, pred.detections, class_names, threshold,
                                   masks=pred.masks)
    out_path = None
    if draw:
        out_path = os.path.join(output_dir, _unique_name(os.path.basename(pred.file), used))
        if not cv2.imwrite(out_path, canvas):
            raise PPDetError(f'cannot write {out_path} (unsupported extension or no space)')
    entry = {'file': pred.file, 'output': out_path, 'width': int(original.shape[1]),
             'height': int(original.shape[0]),
             'detections': [_detection_entry(d) for d in dets]}
    return entry, out_path


def _coco_rows(pred: Prediction, clsid2catid: Optional[Dict[int, Any]],
               save_threshold: float = 0.0) -> List[Dict[str, Any]]:
    rows = []
    for cls, score, x1, y1, x2, y2 in pred.detections.tolist():
        if score < save_threshold:
            continue
        cat = (clsid2catid or {}).get(int(cls), int(cls))
        rows.append({'image_id': pred.index, 'file': pred.file, 'category_id': cat,
                     'bbox': [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)],
                     'score': round(score, 5)})
    return rows
