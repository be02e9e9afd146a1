"""An exported model folder as a detector: files in, detection rows per image out.

Images are read, preprocessed, run and finished in batches of `batch_size`; a batch that
fails to decode is retried image by image and the unreadable files are recorded and skipped,
as `tools/infer.py` does, so the two tools write the same `detections.json`.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

import numpy as np

from ppdet.core.errors import DatasetError
from ppdet.deploy.backends import OnnxRuntimeBackend, PaddleInferenceBackend, RuntimeOptions
from ppdet.deploy.errors import DeployError
from ppdet.deploy.infer_config import (INFER_CFG, ONNX_FILE, DeployConfig, load_deploy_config,
                                       paddle_program, pick_runtime)
from ppdet.deploy.nms import split_rows
from ppdet.deploy.preprocess import Preprocessor, build_preprocess
from ppdet.engine.inference import ImageList, Prediction

__all__ = ['DeployDetector', 'StageTimes']


@dataclass
class StageTimes:
    """Seconds per batch of each stage, one entry per timed run."""
    preprocess: List[float] = field(default_factory=list)
    inference: List[float] = field(default_factory=list)
    postprocess: List[float] = field(default_factory=list)

    def medians(self) -> Dict[str, float]:
        return {k: float(np.median(v)) for k, v in vars(self).items() if v}


class DeployDetector:
    """`model_dir` run by `runtime` ('auto', 'paddle' or 'onnx')."""

    def __init__(self, model_dir: str, runtime: str = 'auto',
                 options: RuntimeOptions = RuntimeOptions(), batch_size: int = 1,
                 log: Callable[[str], Any] = print) -> None:
        if int(batch_size) < 1:
            raise DeployError(f'--batch_size {batch_size}: give 1 or more')
        self.config: DeployConfig = load_deploy_config(model_dir)
        self.preprocess = Preprocessor(build_preprocess(self.config.preprocess,
                                                        self.config.path))
        self.runtime = pick_runtime(self.config, runtime)
        self.batch_size = int(batch_size)
        fixed = self.config.batch_size
        if fixed is not None and self.batch_size > fixed:
            log(f'note: --batch_size {self.batch_size}: this model takes {fixed} image(s) per '
                f'run ({INFER_CFG} batch_size), so images are fed {fixed} at a time')
            self.batch_size = fixed
        if self.runtime == 'paddle':
            program, params = paddle_program(model_dir)  # type: ignore[misc]
            self.backend: Any = PaddleInferenceBackend(program, params, options, log)
        else:
            nms = self.config.onnx_nms  # pick_runtime checked it is there
            self.backend = OnnxRuntimeBackend(os.path.join(model_dir, ONNX_FILE), nms,
                                              options, log)  # type: ignore[arg-type]

    @property
    def class_names(self) -> List[str]:
        return self.config.label_list

    def detect(self, files: Sequence[str],
               times: Optional[StageTimes] = None) -> List[np.ndarray]:
        """Rows (class, score, x1, y1, x2, y2) in original pixels, one array per file."""
        t0 = time.perf_counter()
        feeds = self.preprocess(files)
        t1 = time.perf_counter()
        raw = self.backend.infer(feeds)
        t2 = time.perf_counter()
        bbox, bbox_num = self.backend.finish(raw)
        rows = split_rows(bbox, bbox_num, len(files))
        if times is not None:
            times.preprocess.append(t1 - t0)
            times.inference.append(t2 - t1)
            times.postprocess.append(time.perf_counter() - t2)
        return rows

    def predict(self, images: ImageList,
                times: Optional[StageTimes] = None) -> Iterator[Prediction]:
        """Predictions for `images.images`; unreadable files go to `images.unreadable`."""
        files = list(images.images)
        for first in range(0, len(files), self.batch_size):
            chunk = files[first:first + self.batch_size]
            try:
                rows = self.detect(chunk, times)
            except DatasetError:
                rows = None
            if rows is not None:
                for i, f in enumerate(chunk):
                    yield Prediction(f, first + i, rows[i])
                continue
            for i, f in enumerate(chunk):
                try:
                    single = self.detect([f], times)
                except DatasetError as e:
                    images.unreadable.append((f, str(e)))
                    continue
                yield Prediction(f, first + i, single[0])

    def benchmark(self, files: Sequence[str], warmup: int = 2, repeats: int = 10) -> StageTimes:
        """Stage times over `repeats` runs of the first batch of `files`, after `warmup`."""
        chunk = list(files[:self.batch_size])
        for _ in range(warmup):
            self.detect(chunk)
        times = StageTimes()
        for _ in range(repeats):
            self.detect(chunk, times)
        return times
