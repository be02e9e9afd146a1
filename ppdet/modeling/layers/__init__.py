"""Building blocks shared by backbones, necks and heads; every module here is imported so
any registered class in it registers."""
from ppdet.modeling._autoimport import import_all as _import_all
from ppdet.modeling.layers.conv_norm import ConvBNLayer, activation, freeze_layer, make_norm  # noqa: F401,E501

_import_all(__name__, __path__)
