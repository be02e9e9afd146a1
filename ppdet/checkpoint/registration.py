"""What the weight loader contributes to the config: the transfer-learning keys, declared where
they are read (`config_bridge`). Found by `ppdet.core.registry.ensure_components_loaded`."""
from ppdet.checkpoint import config_bridge  # noqa: F401
