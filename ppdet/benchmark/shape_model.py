"""A real paddle Layer with a given list of state-dict names and shapes, and nothing else.

Loading cost depends only on names, shapes and bytes, so the loader benchmark and tests can
use the exact state-dict layout of a reference model (e.g. `reference/keys/*.json`, 366 tensors
and 62.0M values for DarkNet53-YOLOv3) without building its forward pass.
"""
from __future__ import annotations

import json
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import paddle

from ppdet.modeling.class_layout import ClassLayout, channel_axis

__all__ = ['ShapeTreeLayer', 'specs_from_keys_file', 'with_num_classes']

Spec = Tuple[str, Sequence[int], str]


class ShapeTreeLayer(paddle.nn.Layer):
    """Nested sublayers holding parameters named exactly as in `specs`.

    `class_layouts` is set per instance (like an architecture's class attribute) so the loader
    treats the declared prefixes as class-dependent.
    """

    def __init__(self, specs: Iterable[Spec],
                 class_layouts: Optional[Mapping[str, ClassLayout]] = None):
        super().__init__()
        self.class_layouts = dict(class_layouts or {})
        for name, shape, dtype in specs:
            *path, leaf = name.split('.')
            node: paddle.nn.Layer = self
            for part in path:
                child = node._sub_layers.get(part)
                if child is None:
                    child = paddle.nn.Layer()
                    node.add_sublayer(part, child)
                node = child
            is_stat = leaf in ('_mean', '_variance')
            p = node.create_parameter(
                shape=list(shape), dtype=dtype,
                default_initializer=paddle.nn.initializer.Constant(1.0 if is_stat else 0.0))
            p.stop_gradient = is_stat
            node.add_parameter(leaf, p)


def specs_from_keys_file(path: str) -> Tuple[List[Spec], Dict[str, object]]:
    """(specs, the whole JSON) from a `reference/keys/<config>.json` file."""
    with open(path, 'r', encoding='utf-8') as f:
        data = json.load(f)
    return [(n, tuple(s), d) for n, s, d in data['params']], data


def with_num_classes(specs: Sequence[Spec], layouts: Mapping[str, ClassLayout],
                     src_classes: int, dst_classes: int) -> List[Spec]:
    """Specs with the class-dependent output axis resized from `src_classes` to `dst_classes`."""
    out: List[Spec] = []
    for name, shape, dtype in specs:
        shape = list(shape)
        for prefix, lay in layouts.items():
            if name.startswith(prefix + '.'):
                axis = channel_axis(len(shape))
                groups = lay.groups(shape[axis], src_classes)
                if groups is not None:
                    shape[axis] = groups * lay.group_size(dst_classes)
        out.append((name, tuple(shape), dtype))
    return out
