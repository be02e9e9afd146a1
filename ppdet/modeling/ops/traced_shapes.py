"""Sizes and top-k cuts that also work while a model is traced for export.

In eager mode a tensor's shape is a list of Python ints and the detectors branch on them
("more than `nms_pre` anchors? then keep the best"). While `paddle.jit.to_static` traces the
model with an input of unknown height and width, those sizes are -1 until run time, so the
same decision must be taken by tensor ops inside the program. These helpers take the eager
branch unchanged (same ops, same numbers) and give the traced program the equivalent ops; the
export tests check that both give the same boxes.
"""
from __future__ import annotations

from typing import Optional, Tuple, Union

import paddle

__all__ = ['tracing', 'map_size', 'row_count', 'best_rows']

Size = Union[int, paddle.Tensor]


def tracing() -> bool:
    """True while a static program is being built (sizes may be unknown until run time)."""
    return not paddle.in_dynamic_mode()


def map_size(feat: paddle.Tensor) -> Tuple[Size, Size]:
    """(height, width) of an NCHW map: ints in eager mode and while tracing a fixed input
    size, int32 scalars while tracing an open one (-1)."""
    if not tracing() or (int(feat.shape[-2]) > 0 and int(feat.shape[-1]) > 0):
        return int(feat.shape[-2]), int(feat.shape[-1])
    shape = paddle.shape(feat)
    return shape[2], shape[3]


def row_count(x: paddle.Tensor) -> Size:
    """x.shape[0]: an int in eager mode, a [1] int32 tensor while tracing."""
    if not tracing():
        return int(x.shape[0])
    return paddle.shape(x)[0:1].cast('int32')


def best_rows(values: paddle.Tensor, limit: int) -> Optional[paddle.Tensor]:
    """Indices of the `limit` largest of `values` [N] (descending, as paddle.topk orders them)
    when there are more than `limit`, else all N in their order; None in eager mode when
    nothing is cut, so the caller gathers nothing (its numbers stay exactly as before).

    Traced: k = min(N, limit) and `where(N > limit, topk(k), arange(k))`, whose two operands
    have k rows in either case, so one program serves both."""
    if not tracing():
        if values.shape[0] > limit:
            return paddle.topk(values, limit)[1]
        return None
    count = paddle.shape(values)[0:1]
    # where, not minimum: ONNX (opset 11) has no integer Min, for --onnx exports
    k = paddle.where(count > limit, paddle.full([1], limit, dtype=count.dtype), count)
    top = paddle.topk(values, k)[1]
    in_order = paddle.arange(k[0], dtype=top.dtype)
    cut = (paddle.zeros_like(top) + count.cast(top.dtype)) > limit
    return paddle.where(cut, top, in_order)
