"""Small real components registered for the config tests (not mocks: real classes the
config layer builds like any other)."""
from typing import List, Optional

from ppdet.core.toplevel import register_toplevel_keys, register_unused_keys
from ppdet.core.workspace import register, serializable


@register
class CfgTestLoss:
    def __init__(self, weight: float = 1.0, ignore_thresh: float = 0.7) -> None:
        self.weight = weight
        self.ignore_thresh = ignore_thresh


@register
class CfgTestBackbone:
    __shared__ = ['norm_type']

    def __init__(self, depth: int = 50, norm_type: str = 'bn',
                 return_idx: List[int] = [1, 2, 3], freeze_at: int = 0) -> None:
        self.depth = depth
        self.norm_type = norm_type
        self.return_idx = return_idx
        self.freeze_at = freeze_at

    @property
    def out_channels(self) -> List[int]:
        return [64 * 2 ** i for i in self.return_idx]


@register
class CfgTestHead:
    __shared__ = ['num_classes']
    __inject__ = {'loss': 'CfgTestLoss'}

    def __init__(self, in_channels: List[int] = [256], num_classes: int = 80,
                 anchors: List[List[int]] = [[10, 13], [16, 30]],
                 loss: Optional[CfgTestLoss] = None) -> None:
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.anchors = anchors
        self.loss = loss if loss is not None else CfgTestLoss()

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        return {} if input_shape is None else {'in_channels': list(input_shape)}


@register
class CfgTestArch:
    __inject__ = ['backbone', 'head']

    def __init__(self, backbone: object, head: object) -> None:
        self.backbone = backbone
        self.head = head

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        backbone = create(cfg['backbone'])
        head = create(cfg['head'], input_shape=backbone.out_channels)
        return {'backbone': backbone, 'head': head}


@serializable
class CfgTestDataSet:
    def __init__(self, dataset_dir: str = '', anno_path: Optional[str] = None,
                 sample_num: int = -1) -> None:
        self.dataset_dir = dataset_dir
        self.anno_path = anno_path
        self.sample_num = sample_num


@register
class CfgTestOp:
    def __init__(self, prob: float = 0.5) -> None:
        self.prob = prob


@register
class CfgTestResizeOp:
    def __init__(self, target_size: List[int] = [608, 608], keep_ratio: bool = True) -> None:
        self.target_size = target_size
        self.keep_ratio = keep_ratio


@register
class CfgTestReader:
    __op_lists__ = ['sample_transforms', 'batch_transforms']
    __shared__ = ['num_classes']

    def __init__(self, sample_transforms: list = (), batch_transforms: list = (),
                 batch_size: int = 1, shuffle: bool = False, num_classes: int = 80) -> None:
        self.sample_transforms = list(sample_transforms)
        self.batch_transforms = list(batch_transforms)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.num_classes = num_classes


@register
class CfgTestDetector:
    """Shape-aware assembly with default classes for both parts (like FasterRCNN)."""
    __inject__ = {'backbone': 'CfgTestBackbone', 'head': 'CfgTestHead'}

    def __init__(self, backbone: object, head: object) -> None:
        self.backbone = backbone
        self.head = head

    @classmethod
    def from_config(cls, cfg, create, input_shape=None):
        backbone = create(cfg['backbone'])
        return {'backbone': backbone,
                'head': create(cfg['head'], input_shape=backbone.out_channels)}


# A top-level key declared the way the engine and the loaders declare theirs.
register_toplevel_keys(__name__, {'cfg_test_mode': str, 'cfg_test_steps': int},
                       choices={'cfg_test_mode': ('fast', 'exact')})
register_unused_keys(__name__, {'cfg_test_legacy': 'only read by an old tool'})
