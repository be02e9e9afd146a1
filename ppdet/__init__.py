"""ppdet: PaddlePaddle object detection with transfer learning at its centre."""
__version__ = "0.1.0"
