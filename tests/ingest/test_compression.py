"""Compressed inputs (gzip, bzip2, xz): read through their decompressor, with the size limit on what they hold."""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import json
import lzma
from pathlib import Path

import pytest

from transcript_coach.errors import InputError
from transcript_coach.ingest import IngestOptions, iter_inputs, read_bytes, read_path
from transcript_coach.ingest.compression import compression_of, inner_name
from transcript_coach.model import Transcript

SAMPLES = Path(__file__).resolve().parents[2] / "sample_transcripts"
COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}
SAMPLE_FILES = sorted(p.name for p in SAMPLES.iterdir() if p.name != "README.md")


def _as_read_from(transcripts: list[Transcript], source: str) -> list[Transcript]:
    return [dataclasses.replace(t, source=source) for t in transcripts]


@pytest.mark.parametrize("suffix", COMPRESS)
@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_a_compressed_file_reads_as_the_file_it_holds(tmp_path, name, suffix):
    plain = SAMPLES / name
    packed = tmp_path / f"{name}{suffix}"
    packed.write_bytes(COMPRESS[suffix](plain.read_bytes()))
    expected = list(read_path(plain))
    assert expected
    assert _as_read_from(list(read_path(packed)), str(plain)) == expected  # ids too: chats.txt.gz is "chats"
    piped = read_bytes(packed.read_bytes(), "<stdin>", name="")  # standard input: the format is sniffed
    assert [(t.id, t.turns) for t in piped] == [
        ("stdin" if t.id == plain.stem else t.id, t.turns) for t in read_bytes(plain.read_bytes(), "<stdin>", name="")]


def test_a_compressed_file_is_recognised_by_its_bytes_not_its_name(tmp_path):
    plain = SAMPLES / "jsonl_chat_exports.jsonl"
    misnamed = tmp_path / "export.jsonl"  # gzip data under a plain name
    misnamed.write_bytes(gzip.compress(plain.read_bytes()))
    plain_named_gz = tmp_path / "export.jsonl.gz"  # plain text under a compressed name
    plain_named_gz.write_bytes(plain.read_bytes())
    expected = [t.turns for t in read_path(plain)]
    assert [t.turns for t in read_path(misnamed)] == expected
    assert [t.turns for t in read_path(plain_named_gz)] == expected


@pytest.mark.parametrize("text", [b"BZh Agent: hello\nCustomer: hi there\n", b"BZh9 Agent: hello\nCustomer: hi\n"])
def test_text_that_starts_like_a_compressed_stream_is_read_as_text(text):
    assert compression_of(text, "x") is None
    assert [turn.text for t in read_bytes(text * 3, "chat.txt") for turn in t.turns]


def test_folders_hold_compressed_files_with_a_known_name_inside(tmp_path):
    for name in ("a.jsonl.gz", "b.TXT.BZ2", "c.eml.xz", "d.gz", "e.tar.gz", "f.json"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in iter_inputs([tmp_path])] == ["a.jsonl.gz", "b.TXT.BZ2", "c.eml.xz", "f.json"]
    assert inner_name("chats.jsonl.GZ") == "chats.jsonl" and inner_name("x.json") == "x.json"
    assert inner_name(".gz") == ".gz"


def _export(conversations: int, name: str = "export.csv") -> bytes:
    """A CSV export of that many conversations, for a ``.txt`` name one long chat, for ``list.json`` a JSON list of
    the conversations and for ``lines.json`` a conversation a line (as Zendesk's full export has a ticket a line)."""
    turns = [(n, speaker, f"{text} ({n})") for n in range(conversations)
             for speaker, text in (("Customer", "My parcel has not arrived"), ("Agent", "Sorry. It arrives tomorrow"))]
    if name.endswith(".txt"):
        return "".join(f"{speaker}: {text}\n" for _, speaker, text in turns).encode()
    if name.endswith(".json"):
        listed = [{"conversation_id": f"c-{n}", "messages": [{"role": speaker.lower(), "text": text}
                                                             for m, speaker, text in turns if m == n]}
                  for n in range(conversations)]
        if name == "list.json":
            return json.dumps(listed).encode()
        return "".join(json.dumps(conversation) + "\n" for conversation in listed).encode()
    return "".join(["conversation_id,speaker,text\n"] + [f"c-{n},{speaker},{text}\n" for n, speaker, text in turns]
                   ).encode()


@pytest.mark.parametrize("suffix", COMPRESS)
@pytest.mark.parametrize("name", ["export.csv", "chat.txt", "list.json", "lines.json"])  # read a line at a time /
# read whole / a JSON list scanned through the decompressor / its lines scanned
def test_the_size_limit_is_on_the_decompressed_bytes(tmp_path, suffix, name):
    data = _export(2000, name)
    path = tmp_path / f"{name}{suffix}"
    path.write_bytes(COMPRESS[suffix](data))
    assert path.stat().st_size < len(data) // 4
    for limit in (len(data) - 1, path.stat().st_size):  # one byte short; the compressed size
        for read in (lambda: list(read_path(path, IngestOptions(max_file_bytes=limit))),
                     lambda: list(read_bytes(path.read_bytes(), "<stdin>", IngestOptions(max_file_bytes=limit)))):
            with pytest.raises(InputError) as caught:
                read()
            assert caught.value.code == "too_large" and "decompressed" in str(caught.value)
    assert list(read_path(path, IngestOptions(max_file_bytes=len(data))))


@pytest.mark.parametrize("suffix", COMPRESS)
@pytest.mark.parametrize("name", ["export.csv", "chat.txt", "list.json", "lines.json"])
def test_a_damaged_or_cut_short_file_is_refused_naming_its_compression(tmp_path, suffix, name):
    packed = COMPRESS[suffix](_export(200, name))
    cut = tmp_path / f"cut-{name}{suffix}"
    cut.write_bytes(packed[: len(packed) // 2])
    damaged = tmp_path / f"damaged-{name}{suffix}"
    damaged.write_bytes(packed[:20] + bytes(b ^ 0x55 for b in packed[20:-20]) + packed[-20:])
    kind = compression_of(packed, name)
    for path in (cut, damaged):
        for read in (lambda: list(read_path(path)), lambda: list(read_bytes(path.read_bytes(), str(path)))):
            with pytest.raises(InputError) as caught:
                read()
            message = str(caught.value)
            assert caught.value.code == "unreadable" and f"the {kind.name} data is damaged or cut short" in message
            assert message.startswith(str(path)) and f"expected a complete {suffix} file" in message


def test_a_compressed_export_read_a_line_at_a_time_is_checked_before_any_conversation(tmp_path):
    """A CSV read a line at a time is checked whole first: an error at its end comes before its first conversation,
    compressed or not."""
    data = _export(300) + b"c-9,Customer,\"an unclosed quote\n"
    for path in (tmp_path / "export.csv", tmp_path / "export.csv.gz"):
        path.write_bytes(data if path.suffix == ".csv" else gzip.compress(data))
        reading = read_path(path)
        with pytest.raises(InputError) as caught:
            next(reading)
        assert caught.value.code == "malformed_csv"
