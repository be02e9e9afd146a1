"""State-dict names and shapes of our YOLOv3 configs equal PaddleDetection 2.6's, so zoo
checkpoints load by name; class-dependent entries follow num_classes (80 and 3)."""
import json

import pytest

from tests.modeling._yolo_helpers import MODEL_BASES, REPO, build_model
from tests.helpers.material import shared_path

CONFIGS = sorted(MODEL_BASES)


def _ref(config):
    path = shared_path('reference', 'keys', f'{config}.json')
    return json.loads(path.read_text())


@pytest.mark.parametrize('config', CONFIGS)
def test_state_dict_matches_reference(config):
    ref = _ref(config)
    model = build_model(config, num_classes=ref['num_classes'])
    ours = [(k, list(v.shape)) for k, v in model.state_dict().items()]
    theirs = [(name, shape) for name, shape, _ in ref['params']]
    assert len(ours) == ref['num_state_dict_entries']
    missing = sorted(set(map(str, theirs)) - set(map(str, ours)))
    extra = sorted(set(map(str, ours)) - set(map(str, theirs)))
    assert not missing and not extra, (missing[:5], extra[:5])
    assert ours == theirs  # same order too
    assert sum(v.size for v in model.state_dict().values()) == ref['num_parameters']
    trainable = sum(p.size for p in model.parameters() if not p.stop_gradient)
    assert trainable == ref['num_trainable_parameters']


@pytest.mark.parametrize('config', CONFIGS)
def test_class_dependent_shapes_for_three_classes(config):
    ref = _ref(config)
    model = build_model(config, num_classes=3)
    sd = {k: list(v.shape) for k, v in model.state_dict().items()}
    assert set(sd) == {p[0] for p in ref['params']}
    for name, _, shape3 in ref['class_dependent']:
        assert sd[name] == shape3, name
    dependent = {c[0] for c in ref['class_dependent']}
    full = {p[0]: p[1] for p in ref['params']}
    assert all(sd[k] == full[k] for k in sd if k not in dependent)
    # the architecture declares exactly these layers as class-dependent
    assert sorted(type(model).class_layouts) == sorted(ref['class_dependent_prefixes'])
    for prefix, layout in type(model).class_layouts.items():
        assert layout.groups(sd[prefix + '.bias'][0], 3) == 3


def test_top_level_configs_load_and_validate():
    import ppdet.data  # noqa: F401  registers the data layer
    from ppdet.core.errors import ConfigError
    from ppdet.core.registry import get_schema
    from ppdet.core.workspace import load_config
    for needed in ('TrainReader', 'COCODataSet', 'VOCDataSet', 'Gt2YoloTarget'):
        assert get_schema(needed) is not None, f'{needed} is not registered'
    for name in ['yolov3_darknet53_270e_coco', 'yolov3_mobilenet_v1_270e_coco',
                 'yolov3_r50vd_dcn_270e_coco', 'yolov3_mobilenet_v1_270e_voc',
                 'yolov3_mobilenet_v1_bccd']:
        try:
            cfg = load_config(str(REPO / 'configs' / 'yolov3' / f'{name}.yml'))
        except ConfigError as e:
            raise AssertionError(f'{name}: {e}')
        assert cfg.architecture == 'YOLOv3'
