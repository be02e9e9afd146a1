"""JPEG/PNG sizes read straight from the header agree with Pillow, and anything unusual is left
to Pillow (None) rather than guessed."""
import cv2
import numpy as np
from PIL import Image

from ppdet.convert.image_header import header_size
from ppdet.convert.images import image_size


def _pil(path):
    with Image.open(path) as im:
        return im.size


def test_agrees_with_pillow_on_many_encodings(tmp_path):
    rng = np.random.default_rng(0)
    files = []
    for h, w in ((1, 1), (7, 300), (1000, 17)):
        im = (rng.random((h, w, 3)) * 255).astype(np.uint8)
        for name, params in (('base.jpg', []), ('prog.jpg', [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]),
                             ('fast.png', [cv2.IMWRITE_PNG_COMPRESSION, 0])):
            p = tmp_path / f'{h}x{w}_{name}'
            assert cv2.imwrite(str(p), im, params)
            files.append(p)
        big_icc = tmp_path / f'{h}x{w}_icc.jpg'       # a 70 kB segment before the frame header
        Image.fromarray(im).save(big_icc, icc_profile=b'x' * 70000)
        gray, pal = tmp_path / f'{h}x{w}_gray.png', tmp_path / f'{h}x{w}_pal.png'
        Image.fromarray(im[:, :, 0]).save(gray)
        Image.fromarray(im).convert('P').save(pal)
        files += [big_icc, gray, pal]
    for p in files:
        assert header_size(str(p)) == _pil(p), p


def test_unusual_files_are_left_to_pillow(tmp_path):
    im = np.zeros((20, 30, 3), np.uint8)
    good = cv2.imencode('.jpg', im)[1].tobytes()
    cut = tmp_path / 'cut.jpg'
    cut.write_bytes(good[:20])                        # ends inside the header
    bmp = tmp_path / 'x.bmp'
    cv2.imwrite(str(bmp), im)
    text = tmp_path / 'notes.jpg'
    text.write_text('not an image')
    assert header_size(str(cut)) is None and image_size(cut) is None
    assert header_size(str(bmp)) is None and image_size(bmp) == (30, 20)
    assert header_size(str(text)) is None and image_size(text) is None
    assert header_size(str(tmp_path / 'missing.png')) is None
