"""tools/check_dataset.py: every problem of a dataset in one pass, each counted, and the
remedies the report suggests really clear it."""
import sys

import cv2
import numpy as np
import pytest

from ppdet.core.errors import DatasetError
from ppdet.core.workspace import create, load_config
from ppdet.data import COCODataSet, VOCDataSet
from ppdet.data.dataset_report import check_datasets
from ppdet.data.image_integrity import truncation_problem, verify_images
from tests.helpers.proc import run as run_child

from .conftest import ROOT, make_coco, make_voc, voc_xml

TOOL = [sys.executable, str(ROOT / 'tools' / 'check_dataset.py')]


def _jpeg(path, h=48, w=64):
    im = (np.random.default_rng(0).random((h, w, 3)) * 255).astype(np.uint8)
    path.write_bytes(cv2.imencode('.jpg', im)[1].tobytes())


def _fruit(root):
    """apple_13 has three 'grape' boxes; one image is missing, one truncated, one box flat."""
    make_voc(root, {
        'apple_1': {'objects': [('apple', [5, 5, 20, 20])]},
        'apple_13': {'objects': [('grape', [5, 5, 20, 20])] * 3 + [('apple', [1, 1, 9, 9])]},
        'apple_gone': {'objects': [('apple', [5, 5, 20, 20])], 'image': False},
        'apple_cut': {'objects': [('apple', [5, 5, 20, 20])]},
        'apple_flat': {'objects': [('apple', [5, 5, 5, 20]), ('apple', [1, 1, 9, 9])]},
    }, labels=['apple'])
    cut = root / 'JPEGImages' / 'apple_cut.jpg'
    _jpeg(cut)
    cut.write_bytes(cut.read_bytes()[:-200])  # an interrupted copy: header intact, data cut
    cfg = root / 'check.yml'
    cfg.write_text(f'TrainDataset:\n  !VOCDataSet\n    dataset_dir: {root}\n'
                   f'    anno_path: train.txt\n')
    return cfg


def _check(cfg_path, **kw):
    return check_datasets(load_config(str(cfg_path)), create, **kw)


def test_every_problem_in_one_pass_each_counted(tmp_path):
    text, ok = _check(_fruit(tmp_path))
    assert not ok
    assert "'grape': 3 boxes in 1 file: " in text and text.count('apple_13.xml') == 1
    assert 'apple_gone.jpg: image file not found' in text
    assert 'apple_cut.jpg: truncated or corrupt' in text
    assert 'boxes dropped       1' in text and 'zero or negative size' in text
    verdict = text.splitlines()[-1]
    assert verdict.startswith('FAILED: 1 unknown label (3 boxes in 1 file); 1 image refused')
    assert '1 image unreadable, truncated' in verdict


def test_remedies_in_the_report_clear_it(tmp_path):
    cfg = _fruit(tmp_path)
    (tmp_path / 'label_list.txt').write_text('apple\ngrape\n')   # "Add the names to ..."
    keep = [ln for ln in (tmp_path / 'train.txt').read_text().splitlines()
            if 'apple_gone' not in ln and 'apple_cut' not in ln]  # "... remove it from the annotation"
    (tmp_path / 'train.txt').write_text('\n'.join(keep) + '\n')
    text, ok = _check(cfg)
    assert ok, text
    assert text.splitlines()[-1] == ('OK: nothing refused; repaired by the loader: 1 box dropped '
                                     '(--strict fails on these)')
    text, ok = _check(cfg, strict=True)                          # "--strict fails on these"
    assert not ok and text.splitlines()[-1].startswith('FAILED: 1 box dropped (--strict)')


def test_tool_exit_status_and_strict(tmp_path):
    cfg = _fruit(tmp_path)
    r = run_child(TOOL + ['-c', str(cfg)], cwd=ROOT,
                  timeout=120)
    assert r.returncode == 1 and "'grape': 3 boxes in 1 file" in r.stdout
    assert 'Traceback' not in r.stdout + r.stderr
    (tmp_path / 'label_list.txt').write_text('apple\ngrape\n')
    voc_xml(tmp_path / 'Annotations' / 'apple_flat.xml', [('apple', [1, 1, 9, 9])])
    (tmp_path / 'train.txt').write_text('JPEGImages/apple_1.jpg Annotations/apple_1.xml\n'
                                        'JPEGImages/apple_flat.jpg Annotations/apple_flat.xml\n')
    r = run_child(TOOL + ['-c', str(cfg), '--strict'], cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stdout
    assert r.stdout.splitlines()[-1] == 'OK: nothing refused'


def test_training_still_stops_on_unknown_labels(tmp_path):
    _fruit(tmp_path)
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
    with pytest.raises(DatasetError) as e:
        ds.parse_dataset()
    first, line = str(e.value).splitlines()[:2]
    assert first == f'VOCDataSet: 1 class name not in {tmp_path}/label_list.txt (3 boxes):'
    assert line == f"  'grape': 3 boxes in 1 file: {tmp_path}/Annotations/apple_13.xml"
    kept = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
    kept.parse_dataset(keep_going=True)
    assert kept.summary.num_unknown_boxes == 3 and len(kept) == 4


def test_coco_unknown_category_counted_per_image(tmp_path):
    imgs = [{'id': i, 'file_name': f'{i}.jpg', 'width': 64, 'height': 48} for i in (1, 2)]
    anns = [{'image_id': i, 'category_id': 9, 'bbox': [1, 1, 5, 5]} for i in (1, 1, 2)]
    anns.append({'image_id': 1, 'category_id': 1, 'bbox': [1, 1, 5, 5]})
    make_coco(tmp_path, [{'id': 1, 'name': 'x'}], imgs, anns)
    ds = COCODataSet(dataset_dir=str(tmp_path), image_dir='images', anno_path='ann.json')
    ds.parse_dataset(keep_going=True)
    assert ds.summary.unknown.lines() == ['  category_id 9 used by 3 boxes in 2 images: 1.jpg, 2.jpg']
    with pytest.raises(DatasetError, match='1 category id not in the "categories" of'):
        COCODataSet(dataset_dir=str(tmp_path), image_dir='images',
                    anno_path='ann.json').parse_dataset()


def test_truncation_found_by_content_not_name(tmp_path):
    good, cut, padded = tmp_path / 'good.jpg', tmp_path / 'cut.jpg', tmp_path / 'padded.jpg'
    _jpeg(good)
    data = good.read_bytes()
    cut.write_bytes(data[:len(data) // 2])
    padded.write_bytes(data + b'\x00' * 100 + b'trailer')   # bytes after the end: harmless
    assert truncation_problem(str(good)) is None and truncation_problem(str(padded)) is None
    assert 'truncated' in truncation_problem(str(cut))
    png = tmp_path / 'png_named.jpg'                        # PNG content, .jpg name
    png.write_bytes(cv2.imencode('.png', np.zeros((40, 30, 3), np.uint8))[1].tobytes())
    assert truncation_problem(str(png)) is None
    png.write_bytes(png.read_bytes()[:-30])
    assert 'truncated' in truncation_problem(str(png))


def test_verify_with_decode_finds_the_same_files(tmp_path):
    _fruit(tmp_path)
    for decode in (False, True):
        ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt')
        ds.parse_dataset(keep_going=True)
        found = [p.split('/')[-1] for p, _ in verify_images(ds, decode=decode)]
        assert found == ['apple_cut.jpg']
