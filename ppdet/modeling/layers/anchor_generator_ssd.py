"""SSD prior boxes with PaddleDetection 2.x semantics (Paddle's `prior_box` kernel).

Per level, priors are laid out location-major: for each cell (row-major), `num_priors[i]`
boxes in normalised xyxy (not clipped unless `clip`). The order within a cell follows the
kernel: with `min_max_aspect_ratios_order` the min-size square comes first, then the
sqrt(min*max) square, then the other aspect ratios (caffe SSD order, used by SSD-VGG16);
without it the min square and the aspect ratios come first and the max square last.

Priors depend only on the feature-map and image sizes, so they are cached per size: the
decoder and the loss see the same tensors every step without recomputing them.
"""
from __future__ import annotations

import math
from typing import Dict, List, Optional, Tuple, Union

import paddle

from ppdet.core.errors import ConfigError
from ppdet.core.workspace import register

__all__ = ['AnchorGeneratorSSD']

SizeSpec = Union[float, List[float]]


def _to_list(v: SizeSpec) -> List[float]:
    if isinstance(v, (list, tuple)):
        return [float(x) for x in v]
    return [float(v)]


@register
class AnchorGeneratorSSD:
    """Prior-box generator of SSDHead.

    Args:
        steps: cell size in input pixels per level; 0 means image size / feature size.
        aspect_ratios: extra aspect ratios per level (1 is implicit); with `flip` each ratio r
            also adds 1/r.
        min_ratio, max_ratio, base_size: used only when both `min_sizes` and `max_sizes` are
            empty, to derive sizes as percentages of `base_size` (as PaddleDetection does).
        min_sizes, max_sizes: per level, a size or a list of sizes in input pixels; an empty
            list means "none" (SSD-MobileNet's first level has no max-size square).
        offset: centre of the first cell, as a fraction of the step.
        flip, clip, min_max_aspect_ratios_order: see the module docstring.
    """

    def __init__(self, steps: List[float] = [8, 16, 32, 64, 100, 300],
                 aspect_ratios: List[List[float]] = [[2.], [2., 3.], [2., 3.], [2., 3.],
                                                     [2.], [2.]],
                 min_ratio: int = 15, max_ratio: int = 90, base_size: int = 300,
                 min_sizes: List[Union[float, List[float]]] = [30.0, 60.0, 111.0, 162.0,
                                                               213.0, 264.0],
                 max_sizes: List[Union[float, List[float]]] = [60.0, 111.0, 162.0, 213.0,
                                                               264.0, 315.0],
                 offset: float = 0.5, flip: bool = True, clip: bool = False,
                 min_max_aspect_ratios_order: bool = False):
        self.steps = [float(s) for s in steps]
        self.aspect_ratios = [[float(r) for r in ar] for ar in aspect_ratios]
        self.min_ratio = min_ratio
        self.max_ratio = max_ratio
        self.base_size = base_size
        self.min_sizes = list(min_sizes)
        self.max_sizes = list(max_sizes)
        self.offset = offset
        self.flip = flip
        self.clip = clip
        self.min_max_aspect_ratios_order = min_max_aspect_ratios_order

        if not self.min_sizes and not self.max_sizes:
            self.min_sizes, self.max_sizes = self._sizes_from_ratios(len(self.aspect_ratios))
        n = len(self.aspect_ratios)
        if not (len(self.steps) == len(self.min_sizes) == len(self.max_sizes) == n):
            raise ConfigError(
                f'AnchorGeneratorSSD: steps ({len(self.steps)}), aspect_ratios ({n}), '
                f'min_sizes ({len(self.min_sizes)}) and max_sizes ({len(self.max_sizes)}) '
                f'must have one entry per feature level')

        self.num_priors: List[int] = []
        for ar, mins, maxs in zip(self.aspect_ratios, self.min_sizes, self.max_sizes):
            if isinstance(mins, (list, tuple)):
                self.num_priors.append(len(_to_list(mins)) + len(_to_list(maxs)))
            else:
                per_min = len(ar) * (2 if flip else 1) + 1
                self.num_priors.append(per_min * len(_to_list(mins)) + len(_to_list(maxs)))
        # (level, feature h, w, image h, w, place) -> priors [h*w*P, 4]
        self._cache: Dict[Tuple, paddle.Tensor] = {}

    def _sizes_from_ratios(self, num_layer: int) -> Tuple[List[float], List[float]]:
        """SSD paper's linear scale rule, in percent of `base_size`, first level fixed at
        10% / 20%."""
        step = int(math.floor((self.max_ratio - self.min_ratio) / (num_layer - 2)))
        mins, maxs = [], []
        for ratio in range(self.min_ratio, self.max_ratio + 1, step):
            mins.append(self.base_size * ratio / 100.)
            maxs.append(self.base_size * (ratio + step) / 100.)
        return [self.base_size * .10] + mins, [self.base_size * .20] + maxs

    def _level(self, i: int, feat: paddle.Tensor, image: paddle.Tensor) -> paddle.Tensor:
        max_sizes: Optional[List[float]] = _to_list(self.max_sizes[i]) or None
        box, _ = paddle.vision.ops.prior_box(
            input=feat, image=image, min_sizes=_to_list(self.min_sizes[i]),
            max_sizes=max_sizes, aspect_ratios=self.aspect_ratios[i], flip=self.flip,
            clip=self.clip, steps=[self.steps[i], self.steps[i]], offset=self.offset,
            min_max_aspect_ratios_order=self.min_max_aspect_ratios_order)
        return paddle.reshape(box, [-1, 4])

    def __call__(self, feats: List[paddle.Tensor], image: paddle.Tensor) -> List[paddle.Tensor]:
        """Prior boxes per level, each [H_i*W_i*P_i, 4] normalised xyxy."""
        if not paddle.in_dynamic_mode():  # exported graphs compute them in the program
            return [self._level(i, f, image) for i, f in enumerate(feats)]
        img_hw = tuple(image.shape[2:4])
        place = str(image.place)
        out = []
        for i, feat in enumerate(feats):
            key = (i, tuple(feat.shape[2:4]), img_hw, place)
            boxes = self._cache.get(key)
            if boxes is None:
                with paddle.no_grad():
                    boxes = self._level(i, feat, image)
                boxes.stop_gradient = True
                if len(self._cache) > 64:  # many input sizes (multi-scale): keep it bounded
                    self._cache.clear()
                self._cache[key] = boxes
            out.append(boxes)
        return out
