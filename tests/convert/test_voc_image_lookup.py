"""VOC: where the converter finds each XML's image (needed when <size> is 0 and to copy it).

Order: the image folder (--image_input_dir, else JPEGImages beside the annotation folder) by
<filename> then by <path>'s name; <path> as written; the same names beside the XML; a
<filename> without extension; the XML's own name (a guess, reported).
"""
import sys
from pathlib import Path

from ppdet.convert import ConvertOptions, convert
from tests.convert.helpers import kinds, load_coco, write_image, write_voc
from tests.helpers.proc import run as run_child

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'x2coco.py'


def _xml(path, filename, objects=({'name': 'cat', 'box': (2, 2, 8, 8)},), image_path=None):
    """A VOC XML with <size> 0 (as many exporters write it) and an optional <path>."""
    write_voc(path, filename, 0, 0, list(objects))
    if image_path is not None:
        text = path.read_text().replace('<size>', f'<path>{image_path}</path><size>')
        path.write_text(text)
    return path


def _convert(ann_dir, **kw):
    r = convert(ConvertOptions('voc', voc_anno_dir=str(ann_dir), **kw))
    return r, kinds(r)


def _sizes(json_path):
    return {i['file_name']: (i['width'], i['height'])
            for i in load_coco(json_path).dataset['images']}


def test_paddledetection_command_on_xml_and_images_in_one_folder(tmp_path):
    ds = tmp_path / 'ds'
    for stem, w in (('apple_1', 64), ('apple_2', 40)):
        write_image(ds / f'{stem}.jpg', w, 30)
        _xml(ds / f'{stem}.xml', f'{stem}.jpg')
    (tmp_path / 'train.txt').write_text('apple_1\napple_2\n')
    (tmp_path / 'labels.txt').write_text('cat\n')
    p = run_child([sys.executable, str(TOOL), '--dataset_type', 'voc', '--voc_anno_dir',
                   'ds', '--voc_anno_list', 'train.txt', '--voc_label_list', 'labels.txt',
                   '--voc_out_name', 'voc_train.json'], cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert 'OK: 0 errors, 0 warnings, 2 notes' in p.stdout
    assert _sizes(tmp_path / 'voc_train.json') == {'apple_1.jpg': (64, 30),
                                                   'apple_2.jpg': (40, 30)}


def test_images_beside_xml_are_copied_with_output_dir(tmp_path):
    ds = tmp_path / 'ds'
    write_image(ds / 'a.jpg', 50, 20)
    _xml(ds / 'a.xml', 'a.jpg')
    r, k = _convert(ds, output_dir=str(tmp_path / 'out'), train_proportion=1.0)
    assert r.ok and k == {('info', 'size_from_image'): 1}
    assert (tmp_path / 'out' / 'train' / 'a.jpg').is_file()


def test_path_element_absolute_and_relative(tmp_path):
    ann, elsewhere = tmp_path / 'ann', tmp_path / 'pictures'
    write_image(elsewhere / 'x.jpg', 33, 22)
    write_image(tmp_path / 'rel' / 'y.jpg', 44, 11)
    _xml(ann / 'a.xml', 'x.jpg', image_path=str(elsewhere / 'x.jpg'))
    _xml(ann / 'b.xml', 'y.jpg', image_path='../rel/y.jpg')
    r, k = _convert(ann, output_dir=str(tmp_path / 'out'))
    assert r.ok and k == {('info', 'size_from_image'): 2}
    assert _sizes(tmp_path / 'out' / 'annotations' / 'instance_train.json') == {
        'x.jpg': (33, 22), 'y.jpg': (44, 11)}


def test_windows_path_name_beside_xml_and_filename_without_extension(tmp_path):
    ds = tmp_path / 'ds'
    write_image(ds / 'scan 7.png', 30, 10)
    _xml(ds / 'a.xml', '', image_path='C:\\Users\\me\\labelling\\scan 7.png')
    write_image(ds / 'img_003.jpg', 12, 34)
    _xml(ds / 'b.xml', 'img_003')
    r, k = _convert(ds, output_dir=str(tmp_path / 'out'))
    assert r.ok and k == {('info', 'size_from_image'): 2}
    assert _sizes(tmp_path / 'out' / 'annotations' / 'instance_train.json') == {
        'scan 7.png': (30, 10), 'img_003.jpg': (12, 34)}


def test_image_input_dir_and_jpegimages_come_first(tmp_path):
    root = tmp_path / 'VOC'
    write_image(root / 'Annotations' / 'a.jpg', 10, 10)      # a stray copy beside the XML
    _xml(root / 'Annotations' / 'a.xml', 'a.jpg')
    write_image(root / 'JPEGImages' / 'a.jpg', 20, 20)       # the VOC layout's folder
    write_image(tmp_path / 'override' / 'a.jpg', 30, 30)    # what the user points at
    out = tmp_path / 'out'
    _convert(root / 'Annotations', output_dir=str(out))
    assert _sizes(out / 'annotations' / 'instance_train.json') == {'a.jpg': (20, 20)}
    _convert(root / 'Annotations', output_dir=str(out),
             image_input_dir=str(tmp_path / 'override'))
    assert _sizes(out / 'annotations' / 'instance_train.json') == {'a.jpg': (30, 30)}


def test_not_found_names_the_places_and_the_remedy_works(tmp_path):
    ann = tmp_path / 'ann'
    _xml(ann / 'a.xml', 'a.jpg', image_path='/nowhere/a.jpg')
    r, k = _convert(ann, output_dir=str(tmp_path / 'out'))
    assert not r.ok and k == {('error', 'missing_image'): 1, ('warning', 'empty_split'): 1}
    msg = [i.reason for i in r.issues if i.kind == 'missing_image'][0]
    assert msg.startswith('no usable <size> and image "a.jpg" not found (looked in <path> '
                          f'/nowhere/a.jpg, beside the XML ({ann}))')
    assert msg.endswith('give the image folder with --image_input_dir')
    write_image(tmp_path / 'imgs' / 'a.jpg', 16, 8)
    r, k = _convert(ann, output_dir=str(tmp_path / 'out'), image_input_dir=str(tmp_path / 'imgs'))
    assert r.ok and k == {('info', 'size_from_image'): 1}


def test_size_given_and_no_image_is_a_warning_without_copy(tmp_path):
    ann = tmp_path / 'ann'
    write_voc(ann / 'a.xml', 'a.jpg', 64, 48, [{'name': 'cat', 'box': (2, 2, 20, 20)}])
    (tmp_path / 'l.txt').write_text('a\n')
    r, k = _convert(ann, voc_anno_list=[str(tmp_path / 'l.txt')],
                    voc_out_name=[str(tmp_path / 'a.json')])
    assert r.ok and k == {('warning', 'missing_image'): 1}
    assert _sizes(tmp_path / 'a.json') == {'a.jpg': (64, 48)}
