"""VOC and Cityscapes conversion on real files; and the shipped BCCD."""
import json


from ppdet.convert import ConvertOptions, convert
from tests.convert.helpers import kinds, load_coco, write_cityscapes, write_image, write_voc
from tests.helpers.material import shipped_path

def test_voc_oddities(tmp_path):
    root = tmp_path / 'VOC'
    ann, img = root / 'Annotations', root / 'JPEGImages'
    write_image(img / 'a.jpg', 100, 50)
    write_voc(ann / 'a.xml', 'a.jpg', 100, 50, [
        {'name': 'cell', 'box': (1, 1, 10, 10), 'difficult': 1},
        {'name': 'cell', 'box': (20.5, 5.25, 40.75, 30.5), 'truncated': 1},
        {'name': 'blob', 'box': (90, 40, 120, 70)},          # partly outside: clipped
        {'name': 'blob', 'box': (150, 60, 170, 80)},         # wholly outside: dropped
        {'name': 'blob', 'box': (30, 30, 30, 40)}])          # degenerate: dropped
    write_image(img / 'b.jpg', 64, 48)
    write_voc(ann / 'b.xml', 'b.jpg', 0, 0, [{'name': 'cell', 'box': (2, 2, 8, 8)}])
    write_image(img / 'c.jpg', 30, 30)
    write_voc(ann / 'c.xml', 'c.jpg', 30, 30, [])                    # no objects
    write_image(img / 'd.jpg', 30, 30)
    write_voc(ann / 'd.xml', 'd.png', 30, 30, [{'name': 'cell', 'box': (2, 2, 8, 8)}])
    lst = root / 'train.txt'
    lst.write_text('a\nb\nc\nd\nmissing\na\n')
    r = convert(ConvertOptions('voc', voc_anno_dir=str(ann), voc_anno_list=[str(lst)],
                               output_dir=str(tmp_path / 'out')))
    k = kinds(r)
    assert k[('warning', 'clipped')] == 1 and k[('warning', 'dropped')] == 2
    assert k[('info', 'size_from_image')] == 1 and k[('info', 'empty')] == 1
    assert k[('warning', 'resolved')] == 1                       # d.png -> d.jpg
    assert k[('error', 'missing_annotation')] == 1 and k[('warning', 'duplicate')] == 1
    assert not r.ok
    coco = load_coco(tmp_path / 'out' / 'annotations' / 'train.json')
    assert [c['name'] for c in coco.dataset['categories']] == ['blob', 'cell']
    imgs = {i['file_name']: i for i in coco.dataset['images']}
    assert (imgs['b.jpg']['width'], imgs['b.jpg']['height']) == (64, 48)
    a = coco.loadAnns(coco.getAnnIds(imgIds=[imgs['a.jpg']['id']]))
    assert len(a) == 3
    assert a[0]['bbox'] == [0.0, 0.0, 10.0, 10.0] and a[0]['difficult'] == 1
    assert a[1]['bbox'] == [19.5, 4.25, 21.25, 26.25] and a[1]['truncated'] == 1
    assert a[2]['bbox'] == [89.0, 39.0, 11.0, 11.0]
    assert r.splits['train.json'].difficult == 1
    assert (tmp_path / 'out' / 'images' / 'd.jpg').is_file()


def test_cityscapes_folder(tmp_path):
    gt, left = tmp_path / 'gtFine', tmp_path / 'leftImg8bit'
    objs = [
        {'label': 'road', 'polygon': [[0, 0], [50, 0], [50, 50]]},
        {'label': 'sky', 'polygon': [[0, 0], [50, 0], [50, 5]]},
        {'label': 'car', 'polygon': [[10, 10], [40, 10], [40, 30], [10, 30]]},
        {'label': 'person', 'polygon': [[60, 5], [70, 5], [70, 40], [60, 40]]},
        {'label': 'cargroup', 'polygon': [[-10, 35], [30, 35], [30, 60], [-10, 60]]},
        {'label': 'rider', 'polygon': [[1, 1], [2, 2]]},
    ]
    for city, n in (('aachen', 2), ('bonn', 1)):
        for i in range(n):
            stem = f'{city}_{i:06d}_000019'
            write_cityscapes(gt / 'train' / city / f'{stem}_gtFine_polygons.json', 80, 50, objs)
            write_image(left / 'train' / city / f'{stem}_leftImg8bit.png', 80, 50)
    (gt / 'train' / 'aachen' / 'aachen_000000_000019_gtFine_labelIds.png').write_bytes(b'x')
    r = convert(ConvertOptions('cityscape', json_input_dir=str(gt), image_input_dir=str(left),
                               output_dir=str(tmp_path / 'out'), seed=1))
    k = kinds(r)
    assert k[('warning', 'clipped')] == 3 and k[('warning', 'refused')] == 3
    assert r.count('error') == 0
    assert r.categories == ['car', 'person']
    coco = load_coco(tmp_path / 'out' / 'annotations' / 'instance_train.json')
    assert len(coco.dataset['images']) == 3
    crowd = [a for a in coco.dataset['annotations'] if a['iscrowd']]
    assert len(crowd) == 3 and all(a['category_id'] == 1 for a in crowd)
    assert crowd[0]['bbox'] == [0.0, 35.0, 30.0, 15.0]
    assert r.splits['train'].per_category == {'car': 6, 'person': 3}
    assert (tmp_path / 'out' / 'train' / 'bonn_000000_000019_leftImg8bit.png').is_file()


def _bccd_root():
    return shipped_path('dataset', 'bccd', 'ImageSets', 'Main').parents[1]


def test_bccd_converts_and_loads(tmp_path):
    root = _bccd_root()
    lists = [str(root / 'ImageSets' / 'Main' / f'{s}.txt') for s in ('train', 'val', 'test')]
    r = convert(ConvertOptions('voc', voc_anno_dir=str(root / 'Annotations'), voc_anno_list=lists,
                               output_dir=str(tmp_path / 'bccd_coco'), workers=2))
    assert r.ok, r.render()
    assert r.categories == ['Platelets', 'RBC', 'WBC']
    total = 0
    for s, n in (('train', 205), ('val', 87), ('test', 72)):
        coco = load_coco(tmp_path / 'bccd_coco' / 'annotations' / f'{s}.json')
        assert len(coco.dataset['images']) == n
        total += len(coco.dataset['annotations'])
    # 4,888 boxes in the XML; the two zero-size ones are dropped and reported
    assert total == 4886 and kinds(r) == {('warning', 'dropped'): 2}
    saved = json.loads((tmp_path / 'bccd_coco' / 'x2coco_report.json').read_text())
    assert saved['status'] == 'ok' and len(saved['issues']) == 2
    assert len(list((tmp_path / 'bccd_coco' / 'images').iterdir())) == 364
