"""Zip archives: read as the folder they hold, each member an input of its own (``ARCHIVE/MEMBER``)."""

from __future__ import annotations

import dataclasses
import gzip
import logging
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from transcript_coach import Coach
from transcript_coach.cli import cli
from transcript_coach.errors import InputError
from transcript_coach.ingest import IngestOptions, archive, input_size, iter_inputs, read_bytes, read_path
from transcript_coach.model import Failure, Transcript

SAMPLES = Path(__file__).resolve().parents[2] / "sample_transcripts"
CHAT = ("[2026-04-03 09:14:00] Customer: Hi, parcel {n} has not arrived.\n"
        "[2026-04-03 09:15:10] Agent (Tom): I'm sorry to hear that! I will check parcel {n} now.\n")


def _folder(tmp_path: Path) -> Path:
    """The samples with a subfolder holding a plain and a gzip-compressed chat, a hidden file and an unknown one."""
    folder = tmp_path / "folder"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("README*"))
    (folder / "b-sub").mkdir()
    (folder / "b-sub" / "one.txt").write_text(CHAT.format(n=1), encoding="utf-8")
    (folder / "b-sub" / "two.txt.gz").write_bytes(gzip.compress(CHAT.format(n=2).encode()))
    (folder / ".hidden.txt").write_text(CHAT.format(n=3), encoding="utf-8")
    (folder / "notes.docx").write_bytes(b"not a transcript")
    return folder


def _zip(folder: Path, target: Path, method: int = zipfile.ZIP_DEFLATED) -> Path:
    """``folder`` zipped in an order unlike a walk's (reversed), with its folders' own entries."""
    with zipfile.ZipFile(target, "w", method) as z:
        for path in sorted(folder.rglob("*"), reverse=True):
            z.write(path, path.relative_to(folder).as_posix())
    return target


def _as_in(items: list[Transcript], old: Path, new: Path) -> list[Transcript]:
    return [dataclasses.replace(t, source=t.source.replace(str(old), str(new), 1)) for t in items]


def test_an_archive_reads_as_the_folder_it_holds(tmp_path):
    folder = _folder(tmp_path)
    packed = _zip(folder, tmp_path / "export.zip")
    walked = list(iter_inputs([folder]))
    assert [str(p).replace(str(folder), str(packed), 1) for p in walked] == [str(p) for p in iter_inputs([packed])]
    assert any(p.name == "two.txt.gz" for p in walked) and not any(p.name.startswith(".") for p in walked)
    expected = [t for p in walked for t in read_path(p)]
    assert len(expected) >= 25
    from_archive = [t for p in iter_inputs([packed]) for t in read_path(p)]
    assert _as_in(expected, folder, packed) == from_archive  # ids too: export.zip/b-sub/two.txt.gz is "two"
    assert list(read_path(packed)) == from_archive  # the archive read whole: its members in turn


def test_a_folder_walk_reads_archives_in_their_place(tmp_path):
    folder = _folder(tmp_path)
    top = tmp_path / "top"
    top.mkdir()
    (top / "a.txt").write_text(CHAT.format(n=10), encoding="utf-8")
    _zip(folder, top / "b.ZIP")
    (top / "c.txt").write_text(CHAT.format(n=11), encoding="utf-8")
    names = [str(p) for p in iter_inputs([top])]
    inside = [str(p) for p in iter_inputs([top / "b.ZIP"])]
    assert names == [str(top / "a.txt"), *inside, str(top / "c.txt")]


def test_a_member_or_a_folder_of_an_archive_can_be_named(tmp_path):
    packed = _zip(_folder(tmp_path), tmp_path / "export.zip")
    assert [str(p) for p in iter_inputs([packed / "b-sub"])] == [str(packed / "b-sub" / "one.txt"),
                                                                  str(packed / "b-sub" / "two.txt.gz")]
    [one] = read_path(packed / "b-sub" / "one.txt")
    assert one.id == "one" and one.source == str(packed / "b-sub" / "one.txt") and "parcel 1" in one.turns[0].text
    assert list(iter_inputs([packed / "missing.txt"])) == [packed / "missing.txt"]
    with pytest.raises(InputError) as caught:
        list(read_path(packed / "missing.txt"))
    assert caught.value.code == "not_found" and f"no such file in the zip archive {packed}" in str(caught.value)
    assert input_size(packed / "b-sub" / "one.txt") == len(CHAT.format(n=1))  # decompressed
    assert input_size(packed / "missing.txt") == 0


def _members(path: Path, members: dict[str, bytes], *, infos: dict[str, zipfile.ZipInfo] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr((infos or {}).get(name, name), data)
    return path


def _damage(path: Path, member: str) -> None:
    """Change bytes in the middle of ``member``'s compressed data."""
    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 2, start + info.compress_size - 2):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def _mark_encrypted(path: Path, member: str) -> None:
    """Set the "encrypted" bit of ``member``'s flags in its local header and its central directory entry (zipfile
    writes no encrypted member)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        data[z.getinfo(member).header_offset + 6] |= 0x1
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        length = int.from_bytes(data[entry + 28:entry + 30], "little")
        if data[entry + 46:entry + 46 + length] == member.encode():
            data[entry + 8] |= 0x1
        entry = data.find(b"PK\x01\x02", entry + 1)
    path.write_bytes(bytes(data))


def test_each_member_that_cannot_be_read_is_an_error_record_of_its_own(tmp_path):
    packed = _members(tmp_path / "export.zip", {
        "a-good.txt": CHAT.format(n=1).encode(),
        "b-damaged.txt": CHAT.format(n=2).encode() * 50,
        "c-encrypted.txt": b"\x00" * 40,
        "d-big.txt": CHAT.format(n=4).encode() * 200,
        "e-binary.txt": bytes(range(256)) * 4,
        "f-inner.zip.txt": _members(tmp_path / "inner.zip", {"x.txt": b"hi"}).read_bytes(),
        "g-good.txt": CHAT.format(n=7).encode(),
    })
    _damage(packed, "b-damaged.txt")
    _mark_encrypted(packed, "c-encrypted.txt")
    coach = Coach(options=IngestOptions(max_file_bytes=10_000))
    items = list(coach.read([packed]))
    assert [item.source for item in items] == [str(packed / name) for name in (
        "a-good.txt", "b-damaged.txt", "c-encrypted.txt", "d-big.txt", "e-binary.txt", "f-inner.zip.txt",
        "g-good.txt")]
    codes = [item.code if isinstance(item, Failure) else item.id for item in items]
    assert codes == ["a-good", "unreadable", "unreadable", "too_large", "binary", "binary", "g-good"]
    messages = {item.source.rsplit("/", 1)[1]: item.message for item in items if isinstance(item, Failure)}
    assert "zip data is damaged" in messages["b-damaged.txt"]
    assert "encrypted" in messages["c-encrypted.txt"]
    assert "MB limit" in messages["d-big.txt"]
    assert "inside another archive" in messages["f-inner.zip.txt"]


def test_a_member_is_read_no_further_than_its_header_says(tmp_path):
    """The limit is checked against the size a member declares; a member holding more is not read past it (a
    decompression bomb with a false header): it fails its checksum."""
    packed = _members(tmp_path / "export.zip", {"chat.txt": CHAT.format(n=1).encode() * 100})
    data = packed.read_bytes()
    with zipfile.ZipFile(packed) as z:
        true_size = z.getinfo("chat.txt").file_size.to_bytes(4, "little")
    assert data.count(true_size) == 2  # the local header's and the central directory's
    packed.write_bytes(data.replace(true_size, (100).to_bytes(4, "little")))
    assert input_size(packed / "chat.txt") == 100
    with pytest.raises(InputError) as caught:
        list(read_path(packed / "chat.txt", IngestOptions(max_file_bytes=1000)))
    assert caught.value.code == "unreadable" and "damaged" in str(caught.value)


def test_links_and_names_that_cannot_be_named_back_are_skipped_with_a_warning(tmp_path, caplog):
    link = zipfile.ZipInfo("link.txt")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    packed = _members(tmp_path / "export.zip", {
        "link.txt": b"/etc/passwd", "../up.txt": CHAT.format(n=1).encode(), "/abs.txt": CHAT.format(n=2).encode(),
        "ok.txt": CHAT.format(n=3).encode(), "__MACOSX/._ok.txt": b"\x00\x05\x16\x07", "folder/": b""},
        infos={"link.txt": link})
    with caplog.at_level(logging.WARNING, logger="transcript_coach.ingest"):
        assert list(iter_inputs([packed])) == [packed / "ok.txt"]
    warned = caplog.text  # ../up.txt is skipped as a hidden name is
    assert "export.zip/link.txt: skipped: a symbolic link" in warned and "'/abs.txt'" in warned


def test_archives_inside_an_archive_are_skipped_with_a_warning(tmp_path, caplog):
    """A month's export zipped by week: the weeks are not read, and the run says so rather than scoring less."""
    inner = _members(tmp_path / "week1.zip", {"a.txt": CHAT.format(n=1).encode()}).read_bytes()
    packed = _members(tmp_path / "month.zip", {"week1.ZIP": inner, "old/week0.tar.gz": b"\x1f\x8b" + b"\x00" * 40,
                                               "ok.txt": CHAT.format(n=2).encode(), "notes.pdf": b"%PDF"})
    with caplog.at_level(logging.WARNING, logger="transcript_coach.ingest"):
        assert list(iter_inputs([packed])) == [packed / "ok.txt"]
    warned = sorted(record.getMessage().split(": ")[0] for record in caplog.records)
    assert warned == [f"{packed}/old/week0.tar.gz", f"{packed}/week1.ZIP"]  # not the PDF: not a transcript's place
    assert all("archive inside a zip archive is not read; unpack it" in r.getMessage() for r in caplog.records)


def test_an_archive_without_transcripts_is_skipped_with_a_warning(tmp_path, caplog):
    packed = _members(tmp_path / "photos.zip", {"a.png": b"\x89PNG", "b.pdf": b"%PDF"})
    with caplog.at_level(logging.WARNING, logger="transcript_coach.ingest"):
        assert list(iter_inputs([packed])) == []
    assert "holds no file in a known format" in caplog.text


@pytest.mark.parametrize("damage", ["cut", "renamed"])
def test_an_archive_that_cannot_be_read_is_one_error_record(tmp_path, damage):
    packed = _members(tmp_path / "export.zip", {"a.txt": CHAT.format(n=1).encode()})
    if damage == "cut":
        packed.write_bytes(packed.read_bytes()[:60])  # its table of contents is gone
        expected = "is not a readable zip archive"
    else:
        packed.write_text(CHAT.format(n=1), encoding="utf-8")  # a chat named .zip
        expected = "is named .zip but is not a zip archive"
    assert list(iter_inputs([packed])) == [packed]
    [failure] = Coach().read([packed])
    assert isinstance(failure, Failure) and failure.code == "unreadable" and expected in failure.message


def test_an_archive_from_standard_input_is_refused_with_what_to_do(tmp_path):
    packed = _members(tmp_path / "export.zip", {"a.txt": CHAT.format(n=1).encode()})
    with pytest.raises(InputError) as caught:
        list(read_bytes(packed.read_bytes(), "<stdin>"))
    assert caught.value.code == "binary" and "save it to a file" in str(caught.value)


def test_an_archive_is_opened_once_for_all_its_members(tmp_path, monkeypatch):
    packed = _members(tmp_path / "export.zip", {f"c{n:03d}.txt": CHAT.format(n=n).encode() for n in range(40)})
    opened = []
    real = zipfile.ZipFile

    def counting(*args, **kwargs):
        opened.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(archive.zipfile, "ZipFile", counting)
    monkeypatch.setattr(archive, "_open", None)
    assert len([t for p in iter_inputs([packed]) for t in read_path(p)]) == 40
    assert opened == [packed]
    os.utime(packed, ns=(0, 0))  # another version of the file: opened again
    list(read_path(packed / "c000.txt"))
    assert opened == [packed, packed]


def test_score_and_jobs_2_give_the_same_bytes_for_an_archive(tmp_path, monkeypatch):
    from transcript_coach import parallel

    monkeypatch.setattr(parallel, "settings", lambda: parallel.Settings(chunk_files=3, chunk_bytes=4000,
                                                                         chunks_ahead_per_job=2))
    members = {f"chats/c{n:02d}.txt": CHAT.format(n=n).encode() for n in range(10)}
    members["export.csv"] = ("conversation_id,speaker,text\n" + "".join(
        f"x-{n},Customer,parcel {n} is late\nx-{n},Agent (Tom),I will check parcel {n} for you\n"
        for n in range(60))).encode()  # bigger than a chunk: shared out by conversation
    members["bad.json"] = b'{"turns": ['
    packed = _members(tmp_path / "export.zip", members)
    runs = [CliRunner().invoke(cli, ["score", str(packed), "--jobs", jobs, "-q"]) for jobs in ("1", "2")]
    assert runs[0].exit_code == runs[1].exit_code == 1  # bad.json
    assert runs[0].stdout == runs[1].stdout
    lines = runs[0].stdout.splitlines()
    assert len(lines) == 10 + 60 + 1 and f'"source": "{packed}/bad.json"' in lines[0]


def _export(conversations: int) -> bytes:
    return ("conversation_id,speaker,text\n" + "".join(
        f"x-{n},Customer,parcel {n} is late\nx-{n},Agent (Tom),I will check parcel {n} for you\n"
        for n in range(conversations))).encode()


@pytest.mark.parametrize("inner", ["", ".gz"])
def test_an_export_in_an_archive_is_read_as_the_same_export_on_disk(tmp_path, inner):
    data = _export(30)
    plain = tmp_path / f"export.csv{inner}"
    plain.write_bytes(gzip.compress(data) if inner else data)
    packed = _members(tmp_path / "export.zip", {f"2026/export.csv{inner}": plain.read_bytes()})
    expected = list(read_path(plain))
    assert len(expected) == 30
    assert _as_in(expected, tmp_path, packed / "2026") == list(read_path(packed / "2026" / f"export.csv{inner}"))
    limit = IngestOptions(max_file_bytes=len(data) - 1)  # decompressed, it is over the limit
    with pytest.raises(InputError) as caught:
        list(read_path(packed / "2026" / f"export.csv{inner}", limit))
    assert caught.value.code == "too_large"


def test_a_member_is_not_read_from_an_archive_that_changed_since_it_was_checked(tmp_path):
    packed = _members(tmp_path / "export.zip", {"export.csv": _export(3)})
    member = archive.member(packed, "export.csv", str(packed / "export.csv"), 1 << 20)
    with member.open() as stream:
        assert stream.read() == _export(3)
    _members(packed, {"export.csv": _export(4)})
    with pytest.raises(InputError) as caught, member.open():
        pass
    assert caught.value.code == "unreadable" and "archive changed while it was being read" in str(caught.value)


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:xz"])
def test_a_tar_archive_is_refused_with_what_to_do(tmp_path, mode):
    import tarfile

    chat = tmp_path / "chat.txt"
    chat.write_text(CHAT.format(n=1), encoding="utf-8")
    packed = tmp_path / f"export.tar{mode[2:] and '.' + mode[2:]}"
    with tarfile.open(packed, mode) as tar:
        tar.add(chat, "export/chat.txt")
    for read in (lambda: list(read_path(packed)), lambda: list(read_bytes(packed.read_bytes(), "<stdin>"))):
        with pytest.raises(InputError) as caught:
            read()
        assert caught.value.code == "binary" and "is a tar archive" in str(caught.value)
        assert "unpack it (tar -xf)" in str(caught.value)


def test_a_folder_walk_warns_of_archives_it_does_not_read(tmp_path, caplog):
    (tmp_path / "a.txt").write_text(CHAT.format(n=1), encoding="utf-8")
    for name in ("export.tar.gz", "old.TGZ", "x.7z", "photos.png"):
        (tmp_path / name).write_bytes(b"\x00" * 600)
    with caplog.at_level(logging.WARNING, logger="transcript_coach.ingest"):
        assert list(iter_inputs([tmp_path])) == [tmp_path / "a.txt"]
    warned = sorted(record.getMessage().split(": ")[0] for record in caplog.records)
    assert warned == [str(tmp_path / name) for name in ("export.tar.gz", "old.TGZ", "x.7z")]
    assert "only zip archives are" in caplog.text


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet="ab/.", max_size=8), max_size=12))
def test_an_archive_folder_is_a_name_some_member_starts_with_then_a_slash(names):
    expected = {name[:i] for name in names for i, char in enumerate(name) if char == "/"}
    assert archive._folders(names) == expected


def test_naming_each_member_of_a_big_archive_does_not_scan_it_each_time(tmp_path, monkeypatch):
    """A run given an archive's members one by one (``--jobs``, ``-o FILE``: each worker and the journal name them)
    asks of each whether it is a folder of the archive: once a scan of every member, so 10,000 members took 100
    million comparisons and 100,000 members hours."""
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        for n in range(2000):
            zipped.writestr(f"2026/{n // 500:02d}/chat-{n:05d}.txt", "Customer: hi\nAgent: hello\n")
    inputs = [str(p) for p in iter_inputs([path])]
    assert len(inputs) == 2000
    compared = 0
    real_startswith = str.startswith

    class Name(str):
        def startswith(self, *args):
            nonlocal compared
            compared += 1
            return real_startswith(self, *args)

    opened = archive._archive(path, str(path))
    monkeypatch.setattr(opened, "members", {Name(name): info for name, info in opened.members.items()})
    assert [str(p) for p in iter_inputs(inputs)] == inputs  # each named: a member, not a folder
    assert list(iter_inputs([path / "2026" / "01"])) == [path / "2026" / "01" / f"chat-{n:05d}.txt"
                                                        for n in range(500, 1000)]
    assert compared < 10_000
