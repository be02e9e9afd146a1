"""Images without annotations, for inference: a directory, one file, or a list set later.

Class names come from `anno_path` (a label list .txt or a COCO .json) so predictions are
labelled with the user's classes; without it the names are unknown (empty), never COCO's.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from ppdet.core.errors import DatasetError
from ppdet.core.workspace import register
from ppdet.data.source.dataset import DetDataset
from ppdet.data.source.image_info import IMAGE_EXTENSIONS
from ppdet.data.source.label_list import VOC_CLASS_NAMES, read_class_names
from ppdet.data.summary import DatasetSummary

__all__ = ['ImageFolder']


@register
class ImageFolder(DetDataset):
    """Inference images (arguments as PaddleDetection 2.6's ImageFolder)."""

    def __init__(self, dataset_dir: Optional[str] = None, image_dir: Optional[str] = None,
                 anno_path: Optional[str] = None, sample_num: int = -1,
                 use_default_label: Optional[bool] = None,
                 data_fields: Optional[List[str]] = None, label_list: Optional[str] = None,
                 with_background: Optional[bool] = None) -> None:
        super().__init__(dataset_dir, image_dir, anno_path, data_fields, sample_num,
                         allow_empty=True, label_list=label_list,
                         with_background=with_background, use_default_label=use_default_label)
        self._images: Optional[List[str]] = None

    def set_images(self, images: List[str]) -> None:
        """Use these image files (e.g. from `--infer_img`) instead of image_dir; re-parses."""
        self._images = list(images)
        self._records = None

    def _may_be_empty(self) -> bool:
        return self._images is None and not self.image_dir

    def _names_from_anno(self, summary: DatasetSummary) -> List[str]:
        label = self.anno_path or self.label_list
        if label:
            return read_class_names(self.path(label))
        if self.use_default_label:
            summary.notes.append('use_default_label: true: the 20 Pascal VOC class names')
            return list(VOC_CLASS_NAMES)
        summary.notes.append('no anno_path: class names unknown (set anno_path: '
                             'label_list.txt to name predictions)')
        return []

    def _image_files(self) -> List[str]:
        if self._images is not None:
            return self._images
        if not self.image_dir:
            return []
        root = self.path(self.image_dir)
        if os.path.isfile(root):
            return [root]
        if not os.path.isdir(root):
            raise DatasetError(f'ImageFolder: image_dir {root} is neither a file nor a directory')
        return sorted(os.path.join(root, f) for f in os.listdir(root)
                      if f.lower().endswith(IMAGE_EXTENSIONS))

    def _parse(self, summary: DatasetSummary) -> Tuple[List[Dict[str, Any]], List[str]]:
        summary.annotated = False
        names = self._names_from_anno(summary)
        records = []
        for f in self._image_files():
            if not os.path.isfile(f):
                summary.refuse(f, 'image file not found')
                continue
            records.append({'im_file': f, 'im_id': len(records)})
        return records, names
