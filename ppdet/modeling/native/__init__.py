"""Native CPU kernels (C++, built on first use) for the operators that dominate CPU time:
strip-wise im2col convolution, depthwise convolution and BatchNorm fused with its activation.
See build.py for how they are built and turned off, ops.py for the autograd wrappers."""
from ppdet.modeling.native.build import enabled, has_conv, native_module, status

__all__ = ['enabled', 'has_conv', 'native_module', 'status']
