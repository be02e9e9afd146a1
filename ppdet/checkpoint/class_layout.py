"""Old home of `ClassLayout`, kept while other branches still import it from here; the
description now lives with the models in `ppdet.modeling.class_layout`."""
from ppdet.modeling.class_layout import ClassLayout  # noqa: F401
