"""What the models contribute to the config: every backbone, neck, head, loss, op and
architecture (importing `ppdet.modeling` registers them all), and the top-level keys they share
through `__shared__`. Found by `ppdet.core.registry.ensure_components_loaded`."""

import ppdet.modeling  # noqa: F401
from ppdet.core.toplevel import register_toplevel_keys

register_toplevel_keys(__name__, {'num_classes': int, 'norm_type': str},
                       choices={'norm_type': ('bn', 'sync_bn', 'gn', 'affine_channel')})
