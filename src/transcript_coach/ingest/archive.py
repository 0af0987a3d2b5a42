"""Zip archives: a zip file is read as the folder it holds, never unpacked to disk.

Helpdesk exports often arrive zipped. Where a folder's files would be read, a zip archive's are: ``iter_inputs`` lists
the members of an archive named on the command line or met in a folder (``*.zip``), with the rules of a folder walk
(known formats only, hidden names skipped, each folder's files before its subfolders, names sorted), and each member
is an input of its own, named ``ARCHIVE/MEMBER`` (``export.zip/2026/04/chat-17.txt``): it has its own error record
when it cannot be read, and ``read_path`` reads it by that name. A member in a format read a line at a time (CSV,
JSON Lines), or a JSON list of conversations, is read from the archive on each reading, as a file on disk is, never
held whole; any other is read whole, within ``--max-file-size``. A member compressed again (``chats.jsonl.gz``) is
read through its decompressor.

The archive being read stays open, one per process, so that reading its members one by one does not read its table of
contents again for each (an export can hold hundreds of thousands of files). A process started as a copy of this one
(``fork``) opens it again rather than share the open file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import struct
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from transcript_coach.errors import InputError
from transcript_coach.ingest.base import too_large
from transcript_coach.ingest.compression import DAMAGED, ZIP_STARTS, Compression, compression_of, read_failure

logger = logging.getLogger("transcript_coach.ingest")

SUFFIX = ".zip"
# archives of other kinds, which a folder walk skips with a warning rather than silently: a tar archive has no table
# of contents to read one file by (a compressed one would be decompressed up to each file in turn)
UNREAD = (".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".7z", ".rar")
# what zipfile raises on a damaged archive (its table of contents) or member (a bad CRC or header, cut-short or
# corrupt compressed data), besides BadZipFile: found by reading randomly damaged archives
_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, *DAMAGED, ValueError, struct.error, OverflowError)


@dataclass(slots=True)
class _Open:
    """The archive this process has open: its file's identity, its members by name, and its folders (every name
    that some member's name starts with, followed by "/")."""

    key: tuple[object, ...]
    zip: zipfile.ZipFile
    members: dict[str, zipfile.ZipInfo]
    folders: frozenset[str]


_open: _Open | None = None
_lock = threading.RLock()


def is_archive(head: bytes) -> bool:
    """Whether a file's first bytes are a zip archive's."""
    return head.startswith(ZIP_STARTS)


def member_inputs(archive: Path, known: Callable[[str], bool], folder: str = "") -> Iterator[Path]:
    """The inputs of ``archive`` (of its ``folder``, if not ""): ``ARCHIVE/MEMBER`` for each member whose name
    ``known`` accepts, in the order a folder walk gives. Members skipped with a warning: symbolic links, names that
    cannot be named back (absolute, with ``..``), and archives (a zip or tar archive in the zip archive).
    ``InputError`` when the archive cannot be read."""
    members = _archive(archive, str(archive)).members
    within = f"{folder}/" if folder else ""
    for name in sorted((name for name in members if name.startswith(within)), key=_walk_order):
        parts = name.split("/")
        if any(part.startswith(".") for part in parts):
            continue
        if not known(parts[-1]):
            if parts[-1].casefold().endswith((SUFFIX, *UNREAD)):  # most likely transcripts: say they were not read
                logger.warning("%s/%s: skipped: an archive inside a zip archive is not read; unpack it to a folder to "
                               "score its files", archive, name)
            continue
        if stat.S_IFMT(members[name].external_attr >> 16) == stat.S_IFLNK:  # the Unix mode a member may carry
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
        return name in _archive(archive, str(archive)).folders  # asked of each member a run is given: never a scan
    except InputError:
        return False


def _unusable(handle: BinaryIO) -> BinaryIO:
    raise TypeError("a zip archive is read a file at a time (ingest.archive), not as one stream")


# how a file in an archive is read, in the terms of a compressed file: what a damaged one's message names
ZIP = Compression("zip", (SUFFIX,), is_archive, _unusable, _unusable)


@dataclass(frozen=True, slots=True)
class Member:
    """A file in a zip archive, checked (it is there, within the size limit, not encrypted), to be read once or more:
    ``open`` gives its bytes from their start each time, decompressed by ``inner`` when it is compressed again
    (``chats.jsonl.gz``)."""

    archive: Path
    info: zipfile.ZipInfo
    source: str
    inner: Compression | None

    @property
    def kind(self) -> Compression:
        """The compression a damaged member's message names."""
        return self.inner or ZIP

    @property
    def size(self) -> int | None:
        """Its size as ``open`` gives it, when that is known before it is read."""
        return self.info.file_size if self.inner is None else None

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """Its bytes (through ``inner``), from the archive as it was when it was checked: ``InputError`` when the
        archive has changed since, or the file cannot be read (an unknown compression method, a damaged header)."""
        with _lock:
            opened = _archive(self.archive, self.source)
            if _fingerprint(opened.members.get(self.info.filename)) != _fingerprint(self.info):
                raise InputError(self.source, "the zip archive changed while it was being read; expected an archive "
                                 "that stays the same until it is scored", code="unreadable")
            stream = _opened_member(opened.zip, self.info, self.source)
        with stream:  # the stream reads on if the archive is closed meanwhile (another one opened)
            yield stream if self.inner is None else self.inner.open(stream)

    def read(self) -> bytes:
        """Its bytes as the archive holds them (not through ``inner``)."""
        with _lock:
            opened = _archive(self.archive, self.source)
            try:
                with _opened_member(opened.zip, self.info, self.source) as stream:
                    return stream.read()  # no more than the size the archive gives, which is within the limit
            except _DAMAGED as exc:
                raise read_failure(self.source, ZIP, exc) from None


def member(archive: Path, name: str, source: str, limit: int) -> Member:
    """Member ``name`` of ``archive``, checked; ``InputError`` when there is no such member, it is over ``limit``
    bytes (as its header says: zipfile reads no more), it is encrypted, or it cannot be read."""
    with _lock:
        opened = _archive(archive, source)
        info = opened.members.get(name)
        if info is None or info.is_dir():
            raise InputError(source, f"no such file in the zip archive {archive}", code="not_found")
        if info.file_size > limit:
            raise too_large(source, info.file_size, limit)
        if info.flag_bits & 0x1:
            raise InputError(source, "is encrypted in its zip archive; expected a member stored without a "
                             "password", code="unreadable")
        try:
            with _opened_member(opened.zip, info, source) as stream:
                head = stream.read(16)
        except _DAMAGED as exc:
            raise read_failure(source, ZIP, exc) from None
    return Member(archive, info, source, compression_of(head, source))  # a zip in the zip: InputError


def _opened_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str) -> BinaryIO:
    try:
        return archive.open(info)
    except NotImplementedError as exc:  # a compression method zipfile lacks (deflate64, say)
        raise InputError(source, f"cannot be read from its zip archive: {exc}; expected a member stored or "
                         "compressed with deflate, bzip2 or lzma", code="unreadable") from None
    except _DAMAGED as exc:
        raise read_failure(source, ZIP, exc) from None


def _fingerprint(info: zipfile.ZipInfo | None) -> tuple[object, ...] | None:
    """What tells a member from another one: where it is, its checksum, sizes and method."""
    if info is None:
        return None
    return info.header_offset, info.CRC, info.compress_size, info.file_size, info.compress_type


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
                members = {item.filename: item for item in archive.infolist()}
                _open = _Open(key, archive, members, _folders(members))
            return _open
    except OSError as exc:
        raise InputError(source, f"cannot be read: {exc.strerror or exc}", code="unreadable") from None
    except (*_DAMAGED, NotImplementedError) as exc:  # NotImplementedError: a member needs a later zip version
        raise InputError(source, f"is not a readable zip archive ({exc}); expected a complete .zip file",
                         code="unreadable") from None


def _folders(names: Iterable[str]) -> frozenset[str]:
    """The folders of members named ``names``: each name's parents ("a/b/c.txt": "a" and "a/b")."""
    folders: set[str] = set()
    for name in names:
        parts = name.split("/")[:-1]
        for end in range(len(parts), 0, -1):
            folder = "/".join(parts[:end])
            if folder in folders:
                break  # and so are its parents
            folders.add(folder)
    return frozenset(folders)


def _walk_order(name: str) -> tuple[tuple[int, str], ...]:
    """A member's place in a folder walk: depth first, each folder's files before its subfolders, names sorted."""
    parts = name.split("/")
    return (*((1, part) for part in parts[:-1]), (0, parts[-1]))


def _nameable(name: str) -> bool:
    """Whether ``ARCHIVE/name`` names the member back (``locate``): a relative name, no empty, ``.`` or ``..``
    part."""
    return all(part not in ("", ".", "..") for part in name.split("/")) and PurePosixPath(name).as_posix() == name
