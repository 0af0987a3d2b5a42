"""Zip archives: a zip file is read as the folder it holds, never unpacked to disk.

Helpdesk exports often arrive zipped. Where a folder's files would be read, a zip archive's are: ``iter_inputs`` lists
the members of an archive named on the command line or met in a folder (``*.zip``), with the rules of a folder walk
(known formats only, hidden names skipped, each folder's files before its subfolders, names sorted), and each member
is an input of its own, named ``ARCHIVE/MEMBER`` (``export.zip/2026/04/chat-17.txt``): it has its own error record
when it cannot be read, and ``read_path`` reads it by that name. A member is read whole, within ``--max-file-size``
(of its decompressed bytes); a member compressed again (``chats.jsonl.gz``) is read through its decompressor.

The archive being read stays open, one per process, so that reading its members one by one does not read its table of
contents again for each (an export can hold hundreds of thousands of files). A process started as a copy of this one
(``fork``) opens it again rather than share the open file.
"""

from __future__ import annotations

import logging
import os
import stat
import struct
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from transcript_coach.errors import InputError
from transcript_coach.ingest.base import too_large
from transcript_coach.ingest.compression import DAMAGED, ZIP_STARTS, read_at_most

logger = logging.getLogger("transcript_coach.ingest")

SUFFIX = ".zip"
_LINK = 0o120000  # the file type of a symbolic link, in the Unix mode a member may carry
# what zipfile raises on a damaged archive (its table of contents) or member (a bad CRC or header, cut-short or
# corrupt compressed data), besides BadZipFile: found by reading randomly damaged archives
_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, *DAMAGED, ValueError, struct.error, OverflowError)


@dataclass(slots=True)
class _Open:
    """The archive this process has open: its file's identity, and its members by name."""

    key: tuple[object, ...]
    zip: zipfile.ZipFile
    members: dict[str, zipfile.ZipInfo]


_open: _Open | None = None
_lock = threading.RLock()


def is_archive(head: bytes) -> bool:
    """Whether a file's first bytes are a zip archive's."""
    return head.startswith(ZIP_STARTS)


def member_inputs(archive: Path, known: Callable[[str], bool], folder: str = "") -> Iterator[Path]:
    """The inputs of ``archive`` (of its ``folder``, if not ""): ``ARCHIVE/MEMBER`` for each member whose name
    ``known`` accepts, in the order a folder walk gives. Members skipped with a warning: symbolic links, and names
    that cannot be named back (absolute, with ``..``). ``InputError`` when the archive cannot be read."""
    members = _archive(archive, str(archive)).members
    within = f"{folder}/" if folder else ""
    for name in sorted((name for name in members if name.startswith(within)), key=_walk_order):
        parts = name.split("/")
        if any(part.startswith(".") for part in parts) or not known(parts[-1]):
            continue
        if _mode(members[name]) == _LINK:
            logger.warning("%s/%s: skipped: a symbolic link inside a zip archive is not followed", archive, name)
        elif not _nameable(name):
            logger.warning("%s: skipped a member named %r: only a relative name without '..' can be read", archive,
                           name)
        else:
            yield Path(f"{archive}/{name}")


def locate(path: Path) -> tuple[Path, str] | None:
    """For ``ARCHIVE/MEMBER`` (``ARCHIVE`` a file on disk): the archive and the member's name; None for any other
    path. Only the file's place is checked, not that it is an archive."""
    for parent in path.parents:
        try:
            info = os.stat(parent)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            return parent, path.relative_to(parent).as_posix()
        return None  # the nearest thing there is a folder: no archive holds the path
    return None


def is_folder(archive: Path, name: str) -> bool:
    """Whether ``name`` is a folder of ``archive`` (has members under it); False when it cannot be read."""
    try:
        members = _archive(archive, str(archive)).members
    except InputError:
        return False
    return any(member.startswith(f"{name}/") for member in members)


def read_member(archive: Path, name: str, source: str, limit: int) -> bytes:
    """The decompressed bytes of member ``name`` of ``archive``; ``InputError`` when there is no such member, it is
    over ``limit`` bytes (as its header says: no more is read), or it cannot be read (encrypted, damaged, an unknown
    compression method)."""
    with _lock:  # the archive stays open while it is read (another thread may need another one)
        opened = _archive(archive, source)
        info = opened.members.get(name)
        if info is None or info.is_dir():
            raise InputError(source, f"no such file in the zip archive {archive}", code="not_found")
        if info.file_size > limit:
            raise too_large(source, info.file_size, limit)
        if info.flag_bits & 0x1:
            raise InputError(source, "is encrypted in its zip archive; expected a member stored without a "
                             "password", code="unreadable")
        return _read(opened.zip, info, source, limit)


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, limit: int) -> bytes:
    try:
        with archive.open(info) as stream:
            return read_at_most(stream, limit + 1, info.file_size)  # zipfile reads no more than file_size
    except NotImplementedError as exc:  # a compression method zipfile lacks (deflate64, say)
        raise InputError(source, f"cannot be read from its zip archive: {exc}; expected a member stored or "
                         "compressed with deflate, bzip2 or lzma", code="unreadable") from None
    except _DAMAGED as exc:
        raise InputError(source, f"the zip data is damaged or cut short ({exc}); expected a complete archive",
                         code="unreadable") from None


def member_size(archive: Path, name: str) -> int:
    """The decompressed size member ``name`` of ``archive`` declares (0 when it cannot be told)."""
    try:
        info = _archive(archive, str(archive)).members.get(name)
    except InputError:
        return 0
    return info.file_size if info is not None else 0


def _archive(path: Path, source: str) -> _Open:
    """The archive at ``path``, open: the one already open when it is the same file, unchanged, in this process."""
    global _open
    try:
        info = os.stat(path)
        key = (os.getpid(), str(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        with _lock:
            if _open is None or _open.key != key:
                if _open is not None and _open.key[0] == key[0]:
                    _open.zip.close()
                _open = None
                archive = zipfile.ZipFile(path)
                _open = _Open(key, archive, {item.filename: item for item in archive.infolist()})
            return _open
    except OSError as exc:
        raise InputError(source, f"cannot be read: {exc.strerror or exc}", code="unreadable") from None
    except (*_DAMAGED, NotImplementedError) as exc:  # NotImplementedError: a member needs a later zip version
        raise InputError(source, f"is not a readable zip archive ({exc}); expected a complete .zip file",
                         code="unreadable") from None


def _walk_order(name: str) -> tuple[tuple[int, str], ...]:
    """A member's place in a folder walk: depth first, each folder's files before its subfolders, names sorted."""
    parts = name.split("/")
    return (*((1, part) for part in parts[:-1]), (0, parts[-1]))


def _mode(info: zipfile.ZipInfo) -> int:
    return stat.S_IFMT(info.external_attr >> 16)


def _nameable(name: str) -> bool:
    """Whether ``ARCHIVE/name`` names the member back (``locate``): a relative name, no empty, ``.`` or ``..``
    part."""
    return all(part not in ("", ".", "..") for part in name.split("/")) and PurePosixPath(name).as_posix() == name
