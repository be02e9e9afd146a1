"""tools/infer.py: drawn images and detections.json labelled with the dataset's classes;
class names from the checkpoint or the config, never a silent default."""
from __future__ import annotations

import json
import shutil

import cv2
import numpy as np
import pytest

from tests.engine.conftest import BCCD_NAMES, CONFIGS, ROOT, opts, run_tool

IMAGES = ['BloodImage_00000.jpg', 'BloodImage_00001.jpg']


@pytest.fixture
def image_dir(tmp_path):
    """Two BCCD images, a text file and a .jpg that is not an image."""
    folder = tmp_path / 'images'
    folder.mkdir()
    for name in IMAGES:
        shutil.copy(ROOT / 'dataset' / 'bccd' / 'JPEGImages' / name, folder / name)
    (folder / 'notes.txt').write_text('not an image')
    (folder / 'broken.jpg').write_bytes(b'not a jpeg either')
    return folder


def test_infer_dir_draws_and_writes_detections(trained, tmp_path, image_dir):
    run = trained('ssd')
    out = tmp_path / 'out'
    proc = run_tool('infer', ['-c', CONFIGS['ssd']] + opts(f'weights={run / "model_final"}')
                    + ['--infer_dir', str(image_dir), '--output_dir', str(out),
                       '--draw_threshold', '0', '--save_results', '--save_threshold', '0'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'skipped 1 non-image files' in proc.stdout
    assert 'skipped unreadable image' in proc.stdout and 'broken.jpg' in proc.stdout
    doc = json.loads((out / 'detections.json').read_text())
    assert doc['class_names'] == BCCD_NAMES
    assert doc['counts'] == {'images': 2, 'non_image_files_skipped': 1,
                             'unreadable_images_skipped': 1}
    assert [e['file'] for e in doc['images']] == [str(image_dir / n) for n in IMAGES]
    for entry in doc['images']:
        original = cv2.imread(entry['file'])
        drawn = cv2.imread(entry['output'])
        assert drawn.shape == original.shape == (entry['height'], entry['width'], 3)
        assert entry['detections'], 'threshold 0 keeps every detection of the model'
        assert not np.array_equal(drawn, original)       # boxes were drawn
        for det in entry['detections']:
            assert det['category'] == BCCD_NAMES[det['category_id']]
            assert 0.0 <= det['score'] <= 1.0 and len(det['bbox']) == 4
    coco = json.loads((out / 'bbox.json').read_text())
    assert len(coco) == sum(len(e['detections']) for e in doc['images'])
    assert {r['category_id'] for r in coco} <= {0, 1, 2}


def test_infer_names_from_checkpoint_when_config_has_none(trained, tmp_path, at_root):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.infer import main
    run = trained('yolov3')
    out = tmp_path / 'out'
    code = run_in_process(main, ['-c', CONFIGS['yolov3']]
                          + opts(f'weights={run / "model_final"}', 'TestDataset.anno_path=null')
                          + ['--infer_img', str(ROOT / 'dataset/bccd/JPEGImages' / IMAGES[0]),
                             '--output_dir', str(out)])
    assert code == 0
    doc = json.loads((out / 'detections.json').read_text())
    assert doc['class_names'] == BCCD_NAMES
    assert doc['class_names_from'] == 'checkpoint metadata'
    assert (out / IMAGES[0]).is_file()


def test_infer_without_any_class_names_is_an_error(trained, tmp_path, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.infer import main
    run = trained('ssd')
    shutil.copy(run / 'model_final.pdparams', tmp_path / 'bare.pdparams')  # no metadata
    code = run_in_process(main, ['-c', CONFIGS['ssd']]
                          + opts(f'weights={tmp_path / "bare"}', 'TestDataset.anno_path=null')
                          + ['--infer_img', str(ROOT / 'dataset/bccd/JPEGImages' / IMAGES[0]),
                             '--output_dir', str(tmp_path / 'out')])
    err = capsys.readouterr().err
    assert code == 2
    assert 'class names are unknown' in err and 'never labelled with default (COCO)' in err
    assert not (tmp_path / 'out').exists()


def test_infer_names_that_disagree_are_an_error(trained, tmp_path, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.infer import main
    run = trained('ssd')
    labels = tmp_path / 'labels.txt'
    labels.write_text('person\ncar\ndog\n')
    code = run_in_process(main, ['-c', CONFIGS['ssd']]
                          + opts(f'weights={run / "model_final"}',
                                 f'TestDataset.anno_path={labels}')
                          + ['--infer_img', str(ROOT / 'dataset/bccd/JPEGImages' / IMAGES[0]),
                             '--output_dir', str(tmp_path / 'out')])
    err = capsys.readouterr().err
    assert code == 2
    assert '3 classes [RBC, WBC, Platelets]' in err and '3 classes [person, car, dog]' in err
    assert 'different names' in err


def test_infer_needs_an_image(trained, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.infer import main
    code = run_in_process(main, ['-c', CONFIGS['ssd']]
                          + opts(f'weights={trained("ssd") / "model_final"}'))
    assert code == 2
    assert '--infer_img' in capsys.readouterr().err


def test_visualize_false_writes_json_only(trained, tmp_path, at_root):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.infer import main
    out = tmp_path / 'out'
    code = run_in_process(main, ['-c', CONFIGS['ssd']]
                          + opts(f'weights={trained("ssd") / "model_final"}')
                          + ['--infer_img', str(ROOT / 'dataset/bccd/JPEGImages' / IMAGES[0]),
                             '--output_dir', str(out), '--visualize=False',
                             '--save_results=True', '--draw_threshold', '0.1',
                             '--save_threshold', '0.2'])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ['bbox.json', 'detections.json']
    doc = json.loads((out / 'detections.json').read_text())
    assert doc['images'][0]['output'] is None
    assert all(r['score'] >= 0.2 for r in json.loads((out / 'bbox.json').read_text()))


ZOO_COCO = 'configs/yolov3/yolov3_mobilenet_v1_270e_coco.yml'   # TestDataset: dataset/coco/...
SMALL_TEST = ['use_gpu=false', 'TestReader.sample_transforms.1.Resize.target_size=[160, 160]']


@pytest.fixture(scope='module')
def zoo_like_weights(tmp_path_factory):
    """Weights of the COCO config saved as the zoo ships them: a bare state dict, no metadata."""
    import os
    import paddle
    from ppdet.core.workspace import load_config, merge_config
    from ppdet.engine.builders import build_model
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        cfg = merge_config(load_config(ZOO_COCO, validate=False), ['pretrain_weights='])
        path = tmp_path_factory.mktemp('zoo') / 'yolov3_mobilenet_v1_270e_coco.pdparams'
        paddle.save(build_model(cfg).state_dict(), str(path))
    finally:
        os.chdir(cwd)
    return path


def test_zoo_config_without_annotations_uses_shipped_coco_names(zoo_like_weights, tmp_path,
                                                                at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.infer import main
    assert not (ROOT / 'dataset/coco/annotations/instances_val2017.json').exists()
    out = tmp_path / 'out'
    code = run_in_process(main, ['-c', ZOO_COCO, '-o', f'weights={zoo_like_weights}', *SMALL_TEST,
                                 '--infer_img', str(ROOT / 'dataset/bccd/JPEGImages' / IMAGES[0]),
                                 '--output_dir', str(out)])
    assert code == 0, capsys.readouterr().err
    lines = capsys.readouterr().out.splitlines()
    said = [line for line in lines if line.startswith('class names: the 80 COCO names shipped')]
    assert len(said) == 1
    assert 'dataset/coco/annotations/instances_val2017.json does not exist' in said[0]
    assert 'metric: COCO with num_classes: 80' in said[0]
    assert '-o TestDataset.dataset_dir=. TestDataset.anno_path=' in said[0]
    doc = json.loads((out / 'detections.json').read_text())
    assert len(doc['class_names']) == 80 and doc['class_names'][:3] == ['person', 'bicycle', 'car']
    assert 'coco80.txt' in doc['class_names_from']


def test_the_remedy_a_label_list_is_used(zoo_like_weights, tmp_path, at_root, capsys):
    """The names the message says how to give are the ones used (the zoo weights are COCO's,
    so the loader accepts only COCO's names in COCO's order: a user's own copy here)."""
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.infer import main
    from ppdet.engine.default_class_names import shipped_class_list
    labels = tmp_path / 'my_labels.txt'
    labels.write_text(open(shipped_class_list('COCO', 80)).read())
    out = tmp_path / 'out'
    code = run_in_process(main, ['-c', ZOO_COCO, '-o', f'weights={zoo_like_weights}', *SMALL_TEST,
                                 'TestDataset.dataset_dir=.', f'TestDataset.anno_path={labels}',
                                 '--infer_img', str(ROOT / 'dataset/bccd/JPEGImages' / IMAGES[0]),
                                 '--output_dir', str(out)])
    assert code == 0, capsys.readouterr().err
    assert 'shipped' not in capsys.readouterr().out
    doc = json.loads((out / 'detections.json').read_text())
    assert 'my_labels.txt' in doc['class_names_from'] and doc['class_names'][0] == 'person'


def test_other_class_counts_are_never_guessed(zoo_like_weights, tmp_path, at_root, capsys):
    from ppdet.core.cli import run_tool as run_in_process
    from ppdet.cli.infer import main
    code = run_in_process(main, ['-c', ZOO_COCO, '-o', f'weights={zoo_like_weights}', *SMALL_TEST,
                                 'metric=VOC', '--infer_img',
                                 str(ROOT / 'dataset/bccd/JPEGImages' / IMAGES[0]),
                                 '--output_dir', str(tmp_path / 'out')])
    captured = capsys.readouterr()
    assert code == 2
    assert 'shipped' not in captured.out
    assert 'instances_val2017.json' in captured.err
