"""What the data layer contributes to the config: its datasets, transforms and readers
(imported here, each module registers its classes). Found by
`ppdet.core.registry.ensure_components_loaded`."""
from ppdet.data import reader, source, transform  # noqa: F401
