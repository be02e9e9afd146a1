"""paddle2onnx on a saved Paddle program, meant to run in its own process.

paddle2onnx aborts the whole process (SIGABRT) on an operator it cannot map, so the export
tool runs this module as a child and reports a failed child as a one-line error.

Paddle 3.3 and paddle2onnx 2.1.0 disagree on two attribute types, found by converting one-op
programs: Paddle writes `leaky_relu.negative_slope` and `*_interp.scale` as doubles
(`0.a_f64`), paddle2onnx reads them as floats. For the array it refuses ("the 0th elementwise
MUST be ir::FloatAttribute", pir_parser.cc:814: YOLOv3's upsampling); for the scalar it
silently reads 0.0, which turns leaky ReLU into ReLU. paddle2onnx is therefore given a copy of
the program with exactly those attributes retagged as float (0.1 and 2.0 are what the kernels
compute with either way); the Paddle program itself is left as it is, and the export checks
the ONNX outputs against the model afterwards.
"""
from __future__ import annotations

import json
import sys
from typing import Any, List, Optional

__all__ = ['FLOAT_READ_ATTRIBUTES', 'retag_float_attributes', 'convert', 'main']

# (op name test, attribute) that paddle2onnx 2.1.0 reads as float / float[]
FLOAT_READ_ATTRIBUTES = (
    (lambda op: op in ('leaky_relu', 'leaky_relu_'), 'negative_slope'),
    (lambda op: op.endswith('_interp') or op.endswith('_interp_'), 'scale'),
)
_DOUBLE, _FLOAT = '0.a_f64', '0.a_f32'


def _retag(value: Any) -> int:
    if isinstance(value, dict) and value.get('#') == _DOUBLE:
        value['#'] = _FLOAT
        return 1
    if isinstance(value, dict) and isinstance(value.get('D'), list):
        return sum(_retag(v) for v in value['D'])
    return 0


def retag_float_attributes(program: Any) -> int:
    """Retag, in a loaded PIR json program, the double attributes of FLOAT_READ_ATTRIBUTES
    as float. Returns how many values were retagged."""
    count, stack = 0, [program]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get('#')
            if isinstance(name, str) and name.startswith('1.') and isinstance(item.get('A'),
                                                                               list):
                for test, attr in FLOAT_READ_ATTRIBUTES:
                    if test(name[2:]):
                        count += sum(_retag(a.get('AT')) for a in item['A']
                                     if isinstance(a, dict) and a.get('N') == attr)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def convert(program: str, params: str, out: str, opset: int) -> None:
    """Write `out` (ONNX) from a PIR json program; RuntimeError with paddle2onnx's reason."""
    import paddle2onnx
    patched = program
    if program.endswith('.json'):  # PIR program (paddle 3.x); .pdmodel keeps float attributes
        with open(program, encoding='utf-8') as f:
            doc = json.load(f)
        retag_float_attributes(doc)
        patched = program[:-len('.json')] + '.p2o.json'
        with open(patched, 'w', encoding='utf-8') as f:
            json.dump(doc, f)
    try:
        data = paddle2onnx.export(patched, params, save_file=None, opset_version=int(opset),
                                  auto_upgrade_opset=True, enable_onnx_checker=True)
    except Exception as e:  # paddle2onnx logs its own reason, then fails on its return value
        raise RuntimeError(f'paddle2onnx failed ({type(e).__name__}: {e})') from None
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise RuntimeError('paddle2onnx returned no model')
    with open(out, 'wb') as f:
        f.write(data)


def main(argv: Optional[List[str]] = None) -> int:
    program, params, out, opset = (argv if argv is not None else sys.argv[1:])
    try:
        convert(program, params, out, int(opset))
    except RuntimeError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
