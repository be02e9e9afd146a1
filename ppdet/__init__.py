"""ppdet: PaddlePaddle object detection with transfer learning at its centre.

Importing ppdet changes nothing in the process (no warning filters, no environment): the
tools choose threads and quiet Paddle's import themselves (`ppdet.cli`, `ppdet.utils.threads`).
"""
__version__ = "0.1.0"
