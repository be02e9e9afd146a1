"""Running an exported detector outside the training framework.

`tools/export_model.py` writes a static program (`model.json` / `model.pdmodel` +
`model.pdiparams`), optionally `model.onnx`, and `infer_cfg.yml`. This package reads those:
preprocessing driven by `infer_cfg.yml`, a Paddle Inference or ONNX Runtime backend, the NMS
step the ONNX graph leaves out, and the same `detections.json` as `tools/infer.py`.
`deploy/python/infer.py` is the command-line entry.
"""
