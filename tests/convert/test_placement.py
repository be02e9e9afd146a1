"""How images reach the output folder: hard link when possible, never writing through a link
into someone's source, a symbolic link only when asked, and the report says which."""
import os
import tempfile
from pathlib import Path

import pytest

from ppdet.convert import ConvertOptions, convert
from ppdet.convert.placement import place_image, write_image_bytes
from ppdet.core.errors import ConvertError
from tests.convert.helpers import shape, write_image, write_labelme


def _src(tmp_path, name='a.jpg', data=b'\xff\xd8 image one'):
    p = tmp_path / 'src' / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return p


def test_same_filesystem_hard_link_then_present(tmp_path):
    src = _src(tmp_path)
    dest = tmp_path / 'out' / 'train' / 'a.jpg'       # folder does not exist yet
    assert place_image(src, dest) == 'hardlink'
    assert os.path.samefile(src, dest)
    assert place_image(src, dest) == 'present'         # a re-run into the same folder


def test_existing_link_is_replaced_not_written_through(tmp_path):
    first = _src(tmp_path, 'first.jpg', b'first source')
    second = _src(tmp_path, 'second.jpg', b'the second source, longer')
    dest = tmp_path / 'out' / 'x.jpg'
    assert place_image(first, dest, 'hardlink') == 'hardlink'
    for mode in ('copy', 'auto'):
        assert place_image(second, dest, mode) in (mode, 'hardlink')
        assert dest.read_bytes() == b'the second source, longer'
        assert first.read_bytes() == b'first source'     # the other source is untouched
        place_image(first, dest, 'hardlink')
    write_image_bytes(b'embedded', dest)
    assert dest.read_bytes() == b'embedded' and first.read_bytes() == b'first source'


def test_symlink_only_when_asked(tmp_path):
    src = _src(tmp_path)
    dest = tmp_path / 'out' / 'a.jpg'
    assert place_image(src, dest, 'symlink') == 'symlink'
    assert dest.is_symlink() and os.readlink(dest) == str(src.resolve())
    assert place_image(src, dest, 'symlink') == 'present'
    assert place_image(src, dest, 'auto') == 'hardlink'   # auto replaces the symlink
    assert not dest.is_symlink() and os.path.samefile(src, dest)


def test_other_filesystem_falls_back_to_a_copy(tmp_path):
    src = _src(tmp_path)
    with tempfile.TemporaryDirectory(dir='/dev/shm') as other:   # tmpfs on Linux
        dest = Path(other) / 'sub' / 'a.jpg'
        how = place_image(src, dest)
        if os.stat(other).st_dev == os.stat(src).st_dev:
            assert how == 'hardlink'
        else:
            assert how in ('reflink', 'copy') and not os.path.samefile(src, dest)
        assert dest.read_bytes() == src.read_bytes()


def test_report_says_how_images_were_placed(tmp_path):
    d = tmp_path / 'in'
    for n in ('x', 'y'):
        write_image(d / f'{n}.jpg', 20, 20)
        write_labelme(d / f'{n}.json', [shape('a', [[1, 1], [5, 5]], 'rectangle')],
                      f'{n}.jpg', 20, 20)
    r = convert(ConvertOptions('labelme', json_input_dir=str(d), output_dir=str(tmp_path / 'o')))
    assert r.placement == {'hardlink': 2} and r.ok
    assert 'images: 2 hard-linked (hard links share storage with the sources' in r.render()
    r = convert(ConvertOptions('labelme', json_input_dir=str(d), output_dir=str(tmp_path / 'c'),
                               place_images='copy'))
    assert r.placement == {'copy': 2} and 'images: 2 copied' in r.render()
    assert not os.path.samefile(d / 'x.jpg', tmp_path / 'c' / 'train' / 'x.jpg')
    with pytest.raises(ConvertError, match='--place_images'):
        convert(ConvertOptions('labelme', json_input_dir=str(d), output_dir=str(tmp_path / 'o'),
                               place_images='teleport'))


def test_unwritable_output_is_an_error_per_file(tmp_path):
    d = tmp_path / 'in'
    write_image(d / 'x.jpg', 20, 20)
    write_labelme(d / 'x.json', [shape('a', [[1, 1], [5, 5]], 'rectangle')], 'x.jpg', 20, 20)
    out = tmp_path / 'o'
    (out / 'train').mkdir(parents=True)
    (out / 'train' / 'x.jpg').mkdir()        # a folder where the image should go
    r = convert(ConvertOptions('labelme', json_input_dir=str(d), output_dir=str(out)))
    assert not r.ok
    assert [i.kind for i in r.issues if i.level == 'error'] == ['unwritable']
