"""labelme conversion: every shape type and the folder oddities users meet, on real files."""
import json

import cv2
import numpy as np
import pytest

from ppdet.convert import ConvertOptions, convert
from ppdet.core.errors import ConvertError
from tests.convert.helpers import (kinds, load_coco, mask_shape, shape, write_image,
                                   write_labelme)


@pytest.fixture
def odd_folder(tmp_path):
    """A labelme folder with every shape type and the oddities of issue 7."""
    d = tmp_path / 'labelme'
    write_image(d / 'a.jpg', 100, 80)
    m = np.zeros((10, 12), bool)
    m[2:8, 3:10] = True
    shapes = [
        shape('cat', [[10, 10], [30, 40]], 'rectangle'),
        shape('dog', [[40, 10], [60, 10], [60, 30], [40, 30]]),
        shape('cat', [[50, 50], [55, 50]], 'circle'),
        shape('dog', [[5, 5]], 'point'),
        shape('dog', [[5, 5], [20, 20]], 'line'),
        shape('dog', [[5, 5], [20, 20], [30, 5]], 'linestrip'),
        mask_shape('cat', 70, 60, m),
        shape('cat', [[1, 1], [2, 2], [3, 1]], 'cube'),
        shape('__ignore__', [[0, 0], [10, 0], [10, 10]]),
        shape('person', [[0, 50], [10, 50], [10, 60]], group_id=7),
        shape('person', [[20, 50], [30, 50], [30, 70]], group_id=7),
        shape('dog', [[90, 70], [120, 70], [120, 90], [90, 90]]),       # partly outside
        shape('dog', [[200, 200], [220, 200], [220, 220]]),              # wholly outside
        shape('', [[1, 1], [5, 1], [5, 5]]),                              # no label
    ]
    write_labelme(d / 'a.json', shapes, 'a.jpg', 100, 80)
    # dotted names, no size in the JSON
    write_image(d / 'b.v2.final.png', 64, 48)
    write_labelme(d / 'b.v2.final.json', [shape('cat', [[1, 1], [20, 1], [20, 20]])],
                  'b.v2.final.png')
    # embedded image only
    ok, buf = cv2.imencode('.jpg', np.full((40, 50, 3), 128, np.uint8))
    write_labelme(d / 'c.json', [shape('dog', [[1, 1], [30, 30]], 'rectangle')], 'c.jpg',
                  50, 40, image_data=buf.tobytes())
    # imagePath from another machine, different name: resolved by the JSON's name
    write_image(d / 'd.jpg', 32, 32)
    write_labelme(d / 'd.json', [shape('cat', [[1, 1], [8, 8]], 'rectangle')],
                  'C:\\Users\\someone\\pics\\d_original.jpg', 32, 32)
    # Windows relative path to an image in a sibling folder: resolved as written
    write_image(tmp_path / 'pics' / 'e.jpg', 30, 30)
    write_labelme(d / 'e.json', [shape('cat', [[1, 1], [8, 8]], 'rectangle')],
                  '..\\pics\\e.jpg', 30, 30)
    (d / 'notes.txt').write_text('not an annotation')
    (d / '.DS_Store').write_bytes(b'\0\1')
    (d / 'broken.json').write_text('{"shapes": [')
    (d / 'classes.json').write_text('{"names": ["cat"]}')
    return d


def _convert(folder, out, **kw):
    return convert(ConvertOptions(dataset_type='labelme', json_input_dir=str(folder),
                                  output_dir=str(out), **kw))


def test_every_shape_and_oddity_reported(odd_folder, tmp_path):
    report = _convert(odd_folder, tmp_path / 'out')
    k = kinds(report)
    assert k[('warning', 'refused')] == 4           # point, line, linestrip, cube
    assert k[('info', 'ignored')] == 1              # __ignore__
    assert k[('info', 'merged')] == 1               # person group 7
    assert k[('warning', 'clipped')] == 1
    assert k[('warning', 'dropped')] == 2           # wholly outside, empty label
    assert k[('info', 'size_from_image')] == 1      # b.v2.final.json
    assert k[('info', 'resolved')] == 1             # c.json from imageData
    assert k[('warning', 'resolved')] == 1          # d.json by name
    assert k[('error', 'unreadable')] == 1          # broken.json
    assert k[('warning', 'skipped')] == 1           # classes.json is not labelme
    assert k[('info', 'skipped')] == 1              # notes.txt, .DS_Store (+ images)
    assert not report.ok and report.exit_code == 1
    assert report.categories == ['cat', 'dog', 'person']

    coco = load_coco(tmp_path / 'out' / 'annotations' / 'instance_train.json')
    names = {img['file_name']: img for img in coco.dataset['images']}
    assert set(names) == {'a.jpg', 'b.v2.final.png', 'c.jpg', 'd.jpg', 'e.jpg'}
    assert (names['b.v2.final.png']['width'], names['b.v2.final.png']['height']) == (64, 48)
    for n in names:
        assert (tmp_path / 'out' / 'train' / n).is_file()
    assert cv2.imread(str(tmp_path / 'out' / 'train' / 'c.jpg')).shape == (40, 50, 3)
    a_anns = coco.loadAnns(coco.getAnnIds(imgIds=[names['a.jpg']['id']]))
    # rectangle, polygon, circle, mask, merged person, clipped dog
    assert len(a_anns) == 6
    person = [x for x in a_anns if x['category_id'] == 3][0]
    assert len(person['segmentation']) == 2
    assert person['bbox'] == [0.0, 50.0, 30.0, 20.0]
    clipped = [x for x in a_anns if x['bbox'][0] == 90.0][0]
    assert clipped['bbox'] == [90.0, 70.0, 10.0, 10.0]
    rect = [x for x in a_anns if x['bbox'] == [10.0, 10.0, 20.0, 30.0]]
    assert rect and rect[0]['area'] == 600.0
    circle = [x for x in a_anns if abs(x['bbox'][0] - 45.0) < 0.5][0]
    assert abs(circle['area'] - np.pi * 25) < 3
    mask = [x for x in a_anns if x['bbox'][0] >= 70][0]
    assert mask['category_id'] == 1 and 70 <= mask['bbox'][0] < 75
    # every annotation is loadable as a mask by pycocotools
    for ann in coco.dataset['annotations']:
        assert coco.annToMask(ann).sum() > 0
    saved = json.loads((tmp_path / 'out' / 'x2coco_report.json').read_text())
    assert saved['status'] == 'failed' and saved['counts']['error'] == 1
    assert any(i['file'] == 'broken.json' for i in saved['issues'])


def _clean_folder(root, n=20):
    for i in range(n):
        write_image(root / f'img_{i:03d}.jpg', 40, 30)
        label = 'rare' if i == 0 else ('b' if i % 2 else 'a')
        write_labelme(root / f'img_{i:03d}.json',
                      [shape(label, [[1, 1], [10 + i % 5, 12]], 'rectangle')],
                      f'img_{i:03d}.jpg', 40, 30)
    return root


def _split_ids(out):
    res = {}
    for s in ('train', 'val', 'test'):
        coco = load_coco(out / 'annotations' / f'instance_{s}.json')
        res[s] = sorted(img['file_name'] for img in coco.dataset['images'])
        res[s + '_cats'] = coco.dataset['categories']
    return res


def test_seeded_split_shared_categories_and_workers(tmp_path):
    src = _clean_folder(tmp_path / 'in')
    props = dict(train_proportion=0.6, val_proportion=0.2, test_proportion=0.2)
    r1 = _convert(src, tmp_path / 'o1', seed=3, **props)
    r2 = _convert(src, tmp_path / 'o2', seed=3, workers=2, **props)
    r3 = _convert(src, tmp_path / 'o3', seed=4, **props)
    assert r1.ok and r2.ok and r3.ok
    s1, s2, s3 = (_split_ids(tmp_path / o) for o in ('o1', 'o2', 'o3'))
    assert [len(s1[s]) for s in ('train', 'val', 'test')] == [12, 4, 4]
    assert s1 == s2                      # same seed: same split, whatever the worker count
    assert s1['train'] != s3['train']    # another seed: another split
    assert s1['train'] != [f'img_{i:03d}.jpg' for i in range(12)]   # not directory order
    cats = [c['name'] for c in s1['train_cats']]
    assert cats == ['a', 'b', 'rare']
    assert s1['train_cats'] == s1['val_cats'] == s1['test_cats']
    for f in ('instance_train.json', 'instance_val.json', 'instance_test.json'):
        a = (tmp_path / 'o1' / 'annotations' / f).read_text()
        assert a == (tmp_path / 'o2' / 'annotations' / f).read_text()
    ids = []
    for s in ('train', 'val', 'test'):
        coco = load_coco(tmp_path / 'o1' / 'annotations' / f'instance_{s}.json')
        ids += [img['id'] for img in coco.dataset['images']]
    assert sorted(ids) == list(range(1, 21))


def test_label_list_fixes_order_and_unknown_labels_fail(tmp_path):
    src = _clean_folder(tmp_path / 'in', n=6)
    labels = tmp_path / 'labels.txt'
    labels.write_text('__ignore__\n_background_\nb\na\nrare\n')
    r = _convert(src, tmp_path / 'o', label_list=str(labels))
    assert r.ok and r.categories == ['b', 'a', 'rare']
    coco = load_coco(tmp_path / 'o' / 'annotations' / 'instance_train.json')
    assert [(c['id'], c['name']) for c in coco.dataset['categories']] == \
        [(1, 'b'), (2, 'a'), (3, 'rare')]
    labels.write_text('a\nb\n')
    r = _convert(src, tmp_path / 'o2', label_list=str(labels))
    assert not r.ok and kinds(r)[('error', 'unknown_label')] == 1


def test_strict_turns_warnings_into_failure(tmp_path):
    d = tmp_path / 'in'
    write_image(d / 'x.jpg', 20, 20)
    write_labelme(d / 'x.json', [shape('a', [[1, 1], [5, 5]], 'rectangle'),
                                 shape('a', [[3, 3]], 'point')], 'x.jpg', 20, 20)
    assert _convert(d, tmp_path / 'o1').ok
    r = _convert(d, tmp_path / 'o2', strict=True)
    assert not r.ok and r.exit_code == 1


def test_bad_options_raise_convert_error(tmp_path):
    with pytest.raises(ConvertError, match='sum to 1'):
        _convert(tmp_path, tmp_path / 'o', train_proportion=0.5, val_proportion=0.2)
    with pytest.raises(ConvertError, match='json_input_dir'):
        _convert(tmp_path / 'nope', tmp_path / 'o')


def test_duplicate_image_names_reported(tmp_path):
    d = tmp_path / 'in'
    write_image(d / 'x.jpg', 20, 20)
    write_labelme(d / 'x.json', [shape('a', [[1, 1], [5, 5]], 'rectangle')], 'x.jpg', 20, 20)
    write_labelme(d / 'x_copy.json', [shape('a', [[1, 1], [6, 6]], 'rectangle')], 'x.jpg', 20, 20)
    r = _convert(d, tmp_path / 'o')
    assert r.duplicates['file_names'] == ['x.jpg'] and not r.ok
    assert r.splits['train'].images == 1
