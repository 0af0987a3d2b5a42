from __future__ import annotations

import codecs
import gzip
import io
import lzma
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from transcript_coach.errors import InputError
from transcript_coach.ingest import IngestOptions, input_size, read_bytes, read_path
from transcript_coach.ingest import decoding
from transcript_coach.ingest.compression import compression_of
from transcript_coach.ingest.decoding import Lines, decode, decode_json, file_lines
from transcript_coach.language import load_identifier

TEXT = "Customer: Grüße — my café order 🙂\nAgent: Sorry!\n"


@pytest.mark.parametrize(
    "data, encoding",
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("utf-16"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
)
def test_unicode_encodings_decode_without_warning(data, encoding):
    decoded = decode(data, "x.txt")
    assert decoded.text == TEXT
    assert decoded.encoding == encoding
    assert decoded.warnings == ()


def test_legacy_encoding_is_guessed_with_a_warning():
    text = "Customer: The café charged me twice for my crème brûlée order, and I am très unhappy.\n" * 3
    decoded = decode(text.encode("cp1252"), "old.txt")
    assert "café" in decoded.text and "crème brûlée" in decoded.text
    assert len(decoded.warnings) == 1 and "old.txt" in decoded.warnings[0] and "UTF-8" in decoded.warnings[0]


def test_crlf_and_cr_become_newlines():
    assert decode(b"a: 1\r\nb: 2\rc: 3", "x").text == "a: 1\nb: 2\nc: 3"


@pytest.mark.parametrize("data", [b"", b"   \n\t\n"])
def test_empty_input_is_an_error(data):
    with pytest.raises(InputError) as info:
        decode(data, "empty.txt")
    assert info.value.code == "empty" and "empty.txt" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 8,
        b"\x89PNG\r\n\x1a\n" + bytes(200),
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(40)) * 5,
    ],
)
def test_binary_input_is_an_error(data):
    with pytest.raises(InputError) as info:
        decode(data, "blob.txt")
    assert info.value.code == "binary"


# --- CSV and JSON Lines files, read a line at a time from disk -----------------------------------------------------

CSV = ("conversation_id,speaker,text\r\nc-1,Customer,\"Grüße — my café order 🙂\r\nis late\"\r\nc-1,Agent,Sorry!\r\n"
       "c-2,Customer,hi\rc-2,Agent,hello")


@pytest.mark.parametrize(
    "data",
    [
        CSV.encode("utf-8"),
        codecs.BOM_UTF8 + CSV.encode("utf-8"),
        CSV.encode("utf-16"),
        CSV.replace("🙂", "").replace("—", "-").encode("cp1252"),
        b"   \n\t\n",
        b"conversation_id,speaker,text\n" + bytes(range(1, 32)) * 40,
    ],
    ids=["utf-8", "utf-8 with BOM", "utf-16", "cp1252", "blank", "binary"],
)
def test_a_csv_file_reads_as_its_bytes_do(tmp_path, data):
    """A file read from disk a line at a time (UTF-8) or whole (other encodings) gives what its bytes give."""
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    assert _outcome(lambda: read_path(path)) == _outcome(lambda: read_bytes(data, str(path), name=path.name))


def _outcome(read):
    try:
        return [repr(transcript) for transcript in read()]
    except InputError as exc:
        return (exc.code, exc.line, str(exc))


def test_file_lines_read_the_file_again_and_refuse_a_changed_file(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_bytes(codecs.BOM_UTF8 + b'{"text": "a\\r\\nb"}\r\n{"text": "c"}\r{"text": "d"}')
    with open(path, "rb") as handle:
        lines = file_lines(handle, path, "chat.jsonl")
    expected = ['{"text": "a\\r\\nb"}\n', '{"text": "c"}\n', '{"text": "d"}']
    assert list(lines()) == list(lines()) == expected == list(Lines.of("".join(expected))())
    reading = lines()
    assert next(reading) == expected[0]
    with open(path, "ab") as handle:  # written to while it is read
        handle.write(b'\n{"text": "e"}')
    for read in (lambda: list(reading), lambda: list(lines())):
        with pytest.raises(InputError) as info:
            read()
        assert info.value.code == "unreadable" and "changed while it was being read" in str(info.value)
    path.unlink()
    with pytest.raises(InputError) as info:
        list(lines())
    assert info.value.code == "unreadable" and "chat.jsonl" in str(info.value)


@pytest.mark.parametrize("data", [CSV.encode("utf-16"), "Grüße, café".encode("cp1252") * 10])
def test_file_lines_leave_other_encodings_to_decode(tmp_path, data):
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    with open(path, "rb") as handle:
        assert file_lines(handle, path, "x.csv") is None


@pytest.mark.parametrize("suffix", ["", ".gz", ".xz", ".zip"])
def test_a_big_export_file_is_never_held_whole(tmp_path, suffix):
    """Reading a UTF-8 export from disk holds a line, the open conversations and where each conversation ends, not
    the text (which, with an emoji in it, Python would hold at four bytes a character, besides the file's bytes):
    four times the conversations cost far less than the bytes added. A compressed export is read the same way,
    through its decompressor (the bytes added are those it holds), and so is one in a zip archive."""

    def export(conversations: int) -> Path:
        rows = ["conversation_id,speaker,text"] + [
            f'c-{n},{speaker},"{text} 🙂 ({n}, {turn})"' for n in range(conversations) for turn in range(5)
            for speaker, text in _TURNS]
        data = ("\n".join(rows) + "\n").encode("utf-8")
        if suffix == ".zip":
            with zipfile.ZipFile(tmp_path / f"export{conversations}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("exports/export.csv", data)
            return tmp_path / f"export{conversations}.zip" / "exports" / "export.csv"
        path = tmp_path / f"export{conversations}.csv{suffix}"
        path.write_bytes({"": bytes, ".gz": gzip.compress, ".xz": lzma.compress}[suffix](data))
        return path

    assert _bytes_held_per_byte_added(export, 250, 1000) < 0.5


# --- JSON documents, decoded as ASCII text with JSON escapes ------------------------------------------------------

JSON_DOC = ('{"conversation_id": "c-1", "channel": "chat", "messages": [\r\n'
            '  {"role": "customer", "text": "Grüße — my café order 🙂 is late. 注文が届きません"},\r\n'
            '  {"role": "agent", "text": "Sorry! \\u00e9 \\"quoted\\" \\\\ back"}]}')


@pytest.mark.parametrize("data", [JSON_DOC.encode("utf-8"), codecs.BOM_UTF8 + JSON_DOC.encode("utf-8")],
                         ids=["utf-8", "utf-8 with BOM"])
def test_a_json_document_is_decoded_to_ascii_text_that_means_the_same(data, monkeypatch):
    import json

    monkeypatch.setattr(decoding, "_STEP", 7)  # steps that cut characters in the middle of their bytes
    decoded = decode_json(data, "c.json")
    assert decoded.text.isascii() and decoded.escaped and decoded.warnings == ()
    assert json.loads(decoded.text) == json.loads(decode(data, "c.json").text)
    assert "\r" not in decoded.text


def test_a_json_document_in_another_encoding_is_decoded_as_any_text():
    legacy = JSON_DOC.replace("🙂", "").replace("—", "-").replace("注文が届きません", "").encode("cp1252")
    for data in (JSON_DOC.encode("utf-16"), legacy):
        assert decode_json(data, "c.json") == decode(data, "c.json")
    ascii_only = b'{"a": "plain"}'
    assert decode_json(ascii_only, "c.json") == decode(ascii_only, "c.json")
    with pytest.raises(InputError) as info:
        decode_json(bytes(range(256)) * 8, "blob.json")
    assert info.value.code == "binary"


def test_malformed_json_is_reported_at_the_column_of_the_file_not_of_its_escapes():
    line = '  {"role": "customer", "text": "Grüße 🙂 注文"} oops'
    data = ('{"messages": [\n' + line + "]}").encode("utf-8")
    with pytest.raises(InputError) as info:
        list(read_bytes(data, "bad.json", IngestOptions()))
    assert info.value.code == "malformed_json" and info.value.line == 2
    assert f"(column {line.index('oops') + 1})" in str(info.value)  # where the file's own characters put it


@pytest.mark.parametrize("suffix", ["", ".gz", ".zip"])
def test_a_json_list_is_read_from_disk_a_conversation_at_a_time(tmp_path, suffix):
    """A JSON list of conversations in a UTF-8 file is scanned from disk a block at a time and each conversation
    read from the file when it is asked for (``records.load_json_file``): memory holds a conversation and where each
    begins. Held as text, Python held the decoded text at four bytes a character (one emoji is enough) besides the
    file's bytes and a UTF-8 copy, 7.9 bytes a byte of file at peak (3.6 as ASCII text with escapes, as standard
    input still is). A compressed file, and a file in a zip archive, are read forward through their decompressor
    (``records.load_json_stream``), twice."""
    import json

    def document(conversations: int) -> Path:
        data = json.dumps([{"conversation_id": f"c-{n}", "messages": [
            {"role": role.lower(), "text": f"{text} 🙂 ({n}, {k})"} for k in range(5) for role, text in _TURNS]}
            for n in range(conversations)], ensure_ascii=False).encode("utf-8")
        if suffix == ".zip":
            with zipfile.ZipFile(tmp_path / f"list{conversations}.zip", "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("list.json", data)
            return tmp_path / f"list{conversations}.zip" / "list.json"
        path = tmp_path / f"list{conversations}.json{suffix}"
        path.write_bytes(gzip.compress(data) if suffix else data)
        return path

    assert _bytes_held_per_byte_added(document, 500, 2000) < 0.5


_TURNS = [("Customer", "My parcel has not arrived and the tracking page has not changed"),
          ("Agent", "Sorry about that: it is at your local depot and arrives tomorrow")]


def _bytes_held_per_byte_added(write: Callable[[int], Path], small: int, large: int) -> float:
    """How much more memory reading the file ``write(large)`` writes takes at its peak than reading ``write(small)``,
    per byte the larger file adds (each file holds that many conversations)."""

    def peak(conversations: int) -> tuple[int, int]:
        path = write(conversations)
        if path.is_file():
            data = path.read_bytes()
            kind = compression_of(data, path.name)
            size = len(data if kind is None else kind.open(io.BytesIO(data)).read())
            del data
        else:  # ARCHIVE/MEMBER
            size = input_size(path)
        options = IngestOptions(max_file_bytes=size)
        next(read_path(path, options))  # what is loaded once (role words, patterns) is not what is measured
        load_identifier()  # nor the language model loading in a thread (a Coach built by an earlier test starts it)
        tracemalloc.start()
        try:
            assert sum(1 for _ in read_path(path, options)) == conversations
            return tracemalloc.get_traced_memory()[1], size
        finally:
            tracemalloc.stop()

    small_peak, small_size = peak(small)
    large_peak, large_size = peak(large)
    return (large_peak - small_peak) / (large_size - small_size)
