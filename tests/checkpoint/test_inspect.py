"""tools/inspect_weights.py logic on a real config: a backbone-only checkpoint's plan."""
import pickle

import pytest

from ppdet.checkpoint.config_bridge import load_policy_from, pretrain_kwargs_from_config
from ppdet.core.errors import WeightsError

CONFIG = 'configs/yolov3/yolov3_mobilenet_v1_270e_coco.yml'


def test_inspect_backbone_only_checkpoint(tmp_path, capsys):
    pytest.importorskip('ppdet.modeling.architectures.yolov3')
    from ppdet.checkpoint.inspect import main
    from tests.modeling._yolo_helpers import REPO, build_model
    model = build_model('yolov3_mobilenet_v1_270e_coco', num_classes=3)
    sd = {k[len('backbone.'):]: v.numpy() for k, v in model.state_dict().items()
          if k.startswith('backbone.')}
    path = tmp_path / 'MobileNetV1_pretrained.pdparams'
    with open(path, 'wb') as f:
        pickle.dump(sd, f, protocol=4)
    assert main(['-c', str(REPO / CONFIG), '-o', f'pretrain_weights={path}',
                 'num_classes=3']) == 0
    out = capsys.readouterr().out
    assert 'matching=exact+suffix' in out and 'plan only' in out
    backbone_line = [l for l in out.splitlines() if l.startswith('backbone ')][0]
    assert backbone_line.rstrip().endswith('100.0%')
    assert 'missing from checkpoint, kept fresh' in out


def test_config_bridge():
    kw = pretrain_kwargs_from_config({'finetune_exclude_pretrained_params': 'cls_score',
                                      'class_aware_transfer': False,
                                      'load_policy': {'min_loaded_fraction': 0.1}})
    assert kw['exclude'] == ['cls_score'] and kw['mode'] == 'detection'
    assert kw['class_aware'] is False and kw['policy'].min_loaded_fraction == 0.1
    assert load_policy_from(None) is None
    with pytest.raises(WeightsError, match='require_full_backbone'):
        load_policy_from({'require_full_backbon': False})
