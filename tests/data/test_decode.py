"""Decode on the files users actually have."""
import cv2
import numpy as np
import pytest

from ppdet.core.errors import DatasetError
from ppdet.data import ImageFolder, VOCDataSet, verify_images
from ppdet.data.transform import Decode

RNG = np.random.default_rng(0)


def _decode(path):
    return Decode()({'im_file': str(path)}, RNG)


def test_png_named_jpg(tmp_path):
    im = np.zeros((10, 12, 3), np.uint8)
    im[..., 2] = 200  # red in BGR
    p = tmp_path / 'x.jpg'
    p.write_bytes(cv2.imencode('.png', im)[1].tobytes())
    s = _decode(p)
    assert s['image'].shape == (10, 12, 3) and s['image'].dtype == np.uint8
    assert s['image'][0, 0].tolist() == [200, 0, 0]  # RGB
    assert s['im_shape'].tolist() == [10, 12] and s['scale_factor'].tolist() == [1, 1]


def test_rgba_grayscale_and_16bit(tmp_path):
    rgba = np.zeros((6, 7, 4), np.uint8)
    rgba[..., 1] = 100
    rgba[..., 3] = 0  # fully transparent: colour must still be there
    (tmp_path / 'rgba.jpg').write_bytes(cv2.imencode('.png', rgba)[1].tobytes())
    assert _decode(tmp_path / 'rgba.jpg')['image'][0, 0].tolist() == [0, 100, 0]
    gray = np.full((5, 4), 77, np.uint8)
    cv2.imwrite(str(tmp_path / 'g.png'), gray)
    g = _decode(tmp_path / 'g.png')['image']
    assert g.shape == (5, 4, 3) and g[0, 0].tolist() == [77, 77, 77]
    deep = np.full((5, 4), 65535, np.uint16)
    deep[0, 0] = 0
    deep[0, 1] = 32896  # 128 * 257
    cv2.imwrite(str(tmp_path / 'd.png'), deep)
    d = _decode(tmp_path / 'd.png')['image']
    assert d.dtype == np.uint8 and d[0, :3, 0].tolist() == [0, 128, 255]
    deep_rgb = np.full((3, 3, 3), 257 * 10, np.uint16)
    cv2.imwrite(str(tmp_path / 'drgb.tif'), deep_rgb)
    assert _decode(tmp_path / 'drgb.tif')['image'][1, 1].tolist() == [10, 10, 10]


def test_unreadable_and_missing_name_the_file(tmp_path):
    bad = tmp_path / 'broken.jpg'
    bad.write_bytes(b'this is not an image')
    with pytest.raises(DatasetError, match='broken.jpg'):
        _decode(bad)
    (tmp_path / 'empty.jpg').write_bytes(b'')
    with pytest.raises(DatasetError, match='empty.jpg: empty file'):
        _decode(tmp_path / 'empty.jpg')
    with pytest.raises(DatasetError, match='nowhere.jpg'):
        _decode(tmp_path / 'nowhere.jpg')


def test_mixed_bad_directory_every_problem_named(tmp_path):
    """A folder of real-world bad files: usable ones load, each problem is counted and named."""
    from .conftest import make_voc
    make_voc(tmp_path, {
        'good': {'objects': [('cat', [5, 5, 20, 20])]},
        'gray': {'objects': [('cat', [5, 5, 20, 20])]},
        'broken': {'objects': [('dog', [5, 5, 20, 20])]},
        'nosize': {'objects': [('dog', [5, 5, 99, 20])], 'w': 0, 'h': 0},
        'gone': {'objects': [('dog', [5, 5, 20, 20])], 'image': False},
        'flat': {'objects': [('dog', [5, 5, 5, 20])]},
    })
    cv2.imwrite(str(tmp_path / 'JPEGImages' / 'gray.png'), np.zeros((48, 64), np.uint8))
    (tmp_path / 'JPEGImages' / 'gray.png').replace(tmp_path / 'JPEGImages' / 'gray.jpg')
    (tmp_path / 'JPEGImages' / 'broken.jpg').write_bytes(b'\xff\xd8 truncated')
    ds = VOCDataSet(dataset_dir=str(tmp_path), anno_path='train.txt', allow_empty=True)
    s = ds.summary
    assert len(ds) == 5 and [p.split('/')[-1] for p, _ in s.refused] == ['gone.jpg']
    assert s.num_clipped == 1 and s.num_dropped == 1 and sum(s.fixes.values()) == 1
    problems = verify_images(ds)
    assert [p.split('/')[-1] for p, _ in problems] == ['broken.jpg']
    dec = Decode()
    by_name = {r['im_file'].split('/')[-1]: i for i, r in enumerate(ds.records)}
    assert dec(ds[by_name['gray.jpg']], RNG)['image'].shape == (48, 64, 3)
    with pytest.raises(DatasetError, match='broken.jpg'):
        dec(ds[by_name['broken.jpg']], RNG)


def test_image_folder(tmp_path):
    from .conftest import write_image
    write_image(tmp_path / 'imgs' / 'a.jpg')
    write_image(tmp_path / 'imgs' / 'b.png')
    (tmp_path / 'imgs' / 'notes.txt').write_text('x')
    (tmp_path / 'labels.txt').write_text('RBC\nWBC\n')
    ds = ImageFolder(dataset_dir=str(tmp_path), image_dir='imgs', anno_path='labels.txt')
    assert len(ds) == 2 and ds.class_names == ['RBC', 'WBC']
    ds.set_images([str(tmp_path / 'imgs' / 'a.jpg'), str(tmp_path / 'missing.jpg')])
    assert len(ds) == 1 and ds.summary.refused[0][0].endswith('missing.jpg')
    bare = ImageFolder(dataset_dir=str(tmp_path), image_dir='imgs')
    assert bare.class_names == []  # unknown — never COCO's names
