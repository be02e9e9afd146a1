"""ppdet: PaddlePaddle object detection with transfer learning at its centre."""
__version__ = "0.1.0"

import warnings as _warnings

# PaddlePaddle warns on import that ccache (a C++ build cache) is missing; it concerns building
# custom C++ operators, which ppdet never does.
_warnings.filterwarnings('ignore', message='No ccache found')
