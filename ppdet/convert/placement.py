"""Putting each source image into the output folder the cheapest safe way the filesystem allows.

`auto` tries, per image: a hard link (same filesystem: no bytes copied, and the output survives
the source being moved or deleted), a reflink (copy-on-write clone, where the filesystem has
them, e.g. btrfs, XFS), then a plain copy. A symbolic link is made only when asked for: it
breaks when the source moves. The conversion report counts how each image was placed.

Hard links share storage with the source, so an output file is never written in place: a copy
or clone goes to a temporary name and is renamed over the destination, which replaces a
previous link instead of writing through it into someone's source image.
"""
from __future__ import annotations

import errno
import os
import shutil
import stat
from pathlib import Path
from typing import Callable, Dict, Tuple, Union

PathLike = Union[str, Path]

PLACEMENTS = ('auto', 'hardlink', 'reflink', 'copy', 'symlink')
PRESENT = 'present'  # the destination already holds this image (a re-run into the same folder)
WRITTEN = 'written'  # embedded image data written out (labelme imageData)
_FICLONE = 0x40049409  # Linux ioctl: clone src_fd's extents into the destination file
_AUTO_ORDER = ('hardlink', 'reflink', 'copy')
# errors that mean "this filesystem (pair) cannot do that": try the next way
_UNSUPPORTED = {errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP,
                errno.EINVAL, errno.ENOTTY, errno.ENOSYS, errno.EACCES}


def _hardlink(src: PathLike, dest: PathLike) -> None:
    os.link(src, dest)


def _symlink(src: PathLike, dest: PathLike) -> None:
    os.symlink(os.path.abspath(src), dest)


def _reflink(src: PathLike, dest: PathLike) -> None:
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no clones here
        raise OSError(errno.ENOTSUP, 'reflinks need Linux') from None
    with open(src, 'rb') as fin, open(dest, 'xb') as fout:
        try:
            fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
        except OSError:
            fout.close()
            os.unlink(dest)
            raise


def _copy(src: PathLike, dest: PathLike) -> None:
    shutil.copyfile(src, dest)


_MAKERS: Dict[str, Callable[[PathLike, PathLike], None]] = {
    'hardlink': _hardlink, 'reflink': _reflink, 'copy': _copy, 'symlink': _symlink}
_WRITES_IN_PLACE = ('reflink', 'copy')  # these open the destination: never an existing one


def _already_there(src: PathLike, dest: PathLike, mode: str) -> Tuple[bool, bool]:
    """(dest exists, dest already is this image: the same file or the same link target). A
    previous run's copy is placed again: the same size would not prove the same picture."""
    try:
        d = os.lstat(dest)
    except FileNotFoundError:
        return False, False
    if stat.S_ISLNK(d.st_mode):
        return True, mode == 'symlink' and os.readlink(dest) == os.path.abspath(src)
    s = os.stat(src)
    return True, d.st_ino == s.st_ino and d.st_dev == s.st_dev and mode != 'symlink'


def _make(how: str, src: PathLike, dest: PathLike, exists: bool) -> None:
    """Make dest by `how`; through a temporary name and a rename when dest exists or the way
    writes file contents (so an existing hard link is replaced, not written through)."""
    if not exists and how not in _WRITES_IN_PLACE:
        try:
            _MAKERS[how](src, dest)
            return
        except FileExistsError:  # another worker placed the same name meanwhile
            pass
    folder, name = os.path.split(dest)
    tmp = os.path.join(folder, f'.{name}.{os.getpid()}.part')
    try:
        _MAKERS[how](src, tmp)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise


def _place_by(how: str, src: PathLike, dest: PathLike, exists: bool) -> str:
    try:
        _make(how, src, dest, exists)
    except FileNotFoundError:
        if not os.path.isfile(src):
            raise
        os.makedirs(os.path.dirname(dest) or '.', exist_ok=True)  # the folder's first image
        _make(how, src, dest, exists)
    return how


def place_image(src: PathLike, dest: PathLike, mode: str = 'auto') -> str:
    """Put the image `src` at `dest` by `mode` (see PLACEMENTS); return how it was done:
    'hardlink', 'reflink', 'copy', 'symlink' or 'present'. Raises OSError when it cannot."""
    if mode in ('auto', 'hardlink'):
        try:  # the common case, a fresh output folder: one system call, no look first
            os.link(src, dest)
            return 'hardlink'
        except OSError:
            pass  # exists already, missing folder, or no hard links here: the careful way
    exists, same = _already_there(src, dest, mode)
    if same:
        return PRESENT
    ways = _AUTO_ORDER if mode == 'auto' else (mode,)
    for how in ways[:-1]:
        try:
            return _place_by(how, src, dest, exists)
        except OSError as e:
            if e.errno not in _UNSUPPORTED:
                raise
    return _place_by(ways[-1], src, dest, exists)


def write_image_bytes(data: bytes, dest: PathLike) -> str:
    """Write an embedded (already encoded) image to dest, replacing (never writing through) a
    file already there; return WRITTEN."""
    folder, name = os.path.split(dest)
    os.makedirs(folder or '.', exist_ok=True)
    tmp = os.path.join(folder, f'.{name}.{os.getpid()}.part')
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, dest)
    return WRITTEN
