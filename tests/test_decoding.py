from __future__ import annotations

import codecs

import pytest

from transcript_coach.errors import InputError
from transcript_coach.ingest.decoding import decode

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
