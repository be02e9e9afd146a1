"""Model components; importing this package registers every one of them with the config layer.

Each subpackage imports all of its modules, so a new file under `backbones/`, `necks/`,
`heads/`, `proposal_generator/`, `assigners/`, `losses/`, `ops/` or `architectures/` registers without further edits.
"""
from ppdet.modeling import layers  # noqa: F401
from ppdet.modeling import ops  # noqa: F401
from ppdet.modeling import post_process  # noqa: F401
from ppdet.modeling import backbones  # noqa: F401
from ppdet.modeling import necks  # noqa: F401
from ppdet.modeling import losses  # noqa: F401
from ppdet.modeling import heads  # noqa: F401
from ppdet.modeling import proposal_generator  # noqa: F401
from ppdet.modeling import assigners  # noqa: F401
from ppdet.modeling import architectures  # noqa: F401
