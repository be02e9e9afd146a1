"""What deploy/python/infer.py prints after a run."""
from __future__ import annotations

from typing import Any, Sequence

from ppdet.core.errors import DatasetError

__all__ = ['print_summary', 'print_benchmark']


def print_summary(outputs: Any, images: Any) -> None:
    """Where the results went and what was skipped; DatasetError when nothing was readable."""
    c = outputs.counts
    print(f'{c["images"]} images -> {outputs.output_dir}; detections in '
          f'{outputs.detections_json}'
          + (f'; all detections in {outputs.coco_results_json}' if outputs.coco_results_json
             else ''))
    if images.non_images:
        print(f'skipped {len(images.non_images)} non-image files (e.g. {images.non_images[0]})')
    for f, reason in images.unreadable:
        print(f'skipped unreadable image {f}: {reason}')
    if not c['images']:
        raise DatasetError(f'none of the {len(images.images)} images could be read '
                           f'(see the reasons above)')


def print_benchmark(detector: Any, files: Sequence[str], warmup: int = 2,
                    repeats: int = 10) -> None:
    """Median milliseconds per image of each stage, on the first batch of `files`."""
    times = detector.benchmark(files, warmup, repeats)
    n = min(len(files), detector.batch_size)
    med = times.medians()
    total = sum(med.values())
    print(f'benchmark ({detector.backend.describe()}, batch {n}, median of {repeats} runs '
          f'after {warmup} warm-up):')
    for stage, sec in med.items():
        print(f'  {stage:<12}{1000 * sec / n:9.2f} ms/image')
    print(f'  {"total":<12}{1000 * total / n:9.2f} ms/image')
