"""Hang checks: crafted inputs that almost match must not make a regular expression (or the tokenizer) backtrack for
minutes. Each case is the worst input found for a pattern, used the way the code uses it, and must finish well
within a second (a hang check with a generous bound, not a speed benchmark).

How the patterns were reviewed: every ``re.compile`` / ``re.*`` call in ``src/`` and the regular expressions in
``data/lexicons/knowledge.json`` (and later ``structure.json``'s template fields) were timed on runs of 60
characters and short strings (spaces, digits, brackets, quotes, ``<a``, ``1,`` ...) at two lengths, and the ones
whose time grew faster than the input were rewritten:

- overlapping ``\\s*`` around a separator used with ``split`` (roster lists, subtitle name lists, glossary aliases);
- ``\\s*\\n\\s*`` (SRT sniffing), lazy groups around brackets (speaker labels), ``<[a-z][^>]*>`` (HTML sniffing);
- ``\\b\\d[\\d,]*`` started at every digit of a long ``1,1,1,...`` run (money amounts);
- the email package's structured header parser, which is quadratic in the header's length;
- spaCy's tokenizer, quadratic on a long run of punctuation (see ``nlp.BoundedTokenizer``).

Patterns that were left alone only ever see short, bounded text (a speaker label of at most 40 characters, a
display name of at most 300), are anchored ``match`` calls that fail in one pass, or have bounded quantifiers only.
The user's own ``--agent-pattern`` is the user's business.
"""

from __future__ import annotations

import contextlib
import json
import re
import time

import pytest

from transcript_coach.data import load_json
from transcript_coach.errors import InputError
from transcript_coach.ingest import chat, html, read_bytes, sniff_format, subtitles
from transcript_coach.ingest.roles import parse_label
from transcript_coach.nlp import load_pipeline
from transcript_coach.signals import jargon

N = 50_000
BOUND = 1.0


def elapsed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def _email(headers: str = "", body: str = "hello") -> bytes:
    return (
        "From: Dana <dana@example.com>\nTo: support@example.com\nSubject: help\n"
        f"Date: Mon, 3 Mar 2026 09:00:00 +0000\nMessage-ID: <a@example.com>\n{headers}\n{body}\n"
    ).encode()


def _read(name: str, data: bytes) -> None:
    with contextlib.suppress(InputError):  # only the time matters here; a clean refusal is fine
        list(read_bytes(data, name, name=name))


MONEY = re.compile(load_json("lexicons/knowledge.json")["settings"]["money"])
PERIOD = re.compile(load_json("lexicons/knowledge.json")["settings"]["period"])
TEMPLATE = re.compile("|".join(f"(?:{p})" for p in load_json("lexicons/structure.json")["settings"]["template_fields"]))

CASES = {
    "speaker label: run of opening brackets": (parse_label, "(" * N),
    "speaker label: 'a (' repeated": (parse_label, "a (" * (N // 3)),
    "speaker label: '[1' repeated": (parse_label, "[1" * (N // 2)),
    "roster list split on long spaces": (chat._LIST_SPLIT.split, "x" + " " * N + "y"),
    "subtitle name list split on long spaces": (subtitles._NAME_LIST.split, "x" + "\t" * N + "y"),
    "glossary aliases split on long spaces": (jargon._ALIAS_SPLIT.split, "x" + " " * N + "y"),
    "html sniffing: '<a' repeated without '>'": (html.looks_like_html, "<a" * (N // 2)),
    "srt sniffing: a number then blank lines": (sniff_format, b"1" + b"\n" * 8191),
    "money amounts: '1,' repeated": (lambda s: list(MONEY.finditer(s)), "1," * (N // 2)),
    "money amounts: '11,' repeated": (lambda s: list(MONEY.finditer(s)), "11," * (N // 3)),
    "money amounts: '$1,' repeated": (lambda s: list(MONEY.finditer(s)), "$" + "1," * (N // 2)),
    "periods: '1 to ' repeated": (lambda s: list(PERIOD.finditer(s)), "1 to " * (N // 5)),
    "periods: '111 ' repeated": (lambda s: list(PERIOD.finditer(s)), "111 " * (N // 4)),
    "template fields: '{{a' repeated": (lambda s: list(TEMPLATE.finditer(s)), "{{a" * (N // 3)),
    "template fields: '<<a ' repeated": (lambda s: list(TEMPLATE.finditer(s)), "<<a " * (N // 4)),
    "template fields: '%AAA' repeated": (lambda s: list(TEMPLATE.finditer(s)), "%AAA" * (N // 4)),
    "email From header of quotes": (_read, "c.eml", _email().replace(b"Dana <dana@example.com>", b'"' * N)),
    "email From header of dots": (_read, "c.eml", _email().replace(b"Dana <dana@example.com>", b"." * N)),
    "email To header of commas": (_read, "c.eml", _email().replace(b"support@example.com", b"a," * (N // 2))),
    "email Subject of words": (_read, "c.eml", _email().replace(b"Subject: help", b"Subject: " + b"a " * N)),
    "email Content-Type of semicolons": (_read, "c.eml", _email("Content-Type: text/plain; x=" + ";" * N + "\n")),
    "email Content-Type of quotes": (_read, "c.eml", _email('Content-Type: text/plain; x="' + '"' * N + "\n")),
    "email with 20,000 MIME parts": (_read, "c.eml", _email(
        "Content-Type: multipart/mixed; boundary=b\n",
        "".join(f"--b\nContent-Type: text/plain\n\npart {i}\n" for i in range(20_000)) + "--b--\n")),
}


@pytest.mark.parametrize("name", CASES)
def test_crafted_input_finishes_fast(name):
    fn, *args = CASES[name]
    fn(*args)  # warm: caches, lazy imports
    assert elapsed(fn, *args) < BOUND, name


@pytest.fixture(scope="module")
def nlp():
    return load_pipeline()


@pytest.mark.parametrize("run", ["!", "$", "(", "'", "…", "¡", ":)", "http://a", "1,", "a-"])
def test_tokenizer_is_linear_on_long_runs_of_punctuation(nlp, run):
    text = "hi " + run * (N // len(run)) + " there"
    assert elapsed(nlp, text) < BOUND
    doc = nlp(text)
    assert doc.text == text and doc[0].text == "hi" and doc[-1].text == "there"


def test_tokenizer_still_splits_ordinary_text_as_spacy_does(nlp):
    import spacy

    plain = spacy.blank("en")
    text = "Hi!! I'm (really) sure: it's $5.00, see https://example.com/a?b=1... OK?!"
    assert [t.text for t in nlp(text)] == [t.text for t in plain(text)]
    long_punct = "wait" + "!" * 80  # shorter than the suffix window: same tokens as spaCy's own tokenizer
    assert [t.text for t in nlp(long_punct)] == [t.text for t in plain(long_punct)]
    # built by our registered tokenizer factory: spaCy's exceptions and matches for English, nothing else changed
    ours = nlp.tokenizer.tokenizer
    assert ours.rules == plain.tokenizer.rules
    assert (ours.token_match, ours.url_match) == (plain.tokenizer.token_match, plain.tokenizer.url_match)
    assert ours.prefix_search == plain.tokenizer.prefix_search


def test_money_pattern_still_finds_amounts():
    text = "It costs $1,299.99 or 40 EUR, 1,000 dollars and 5 cents; not 1,2,3 alone or room101,5USD."
    assert [m.group() for m in MONEY.finditer(text)] == ["$1,299.99", "40 EUR", "1,000 dollars", "5 cents"]


def test_long_address_headers_are_still_read():
    recipients = ", ".join(f"Person {i} <p{i}@example.com>" for i in range(200))  # over the structured-parse limit
    data = _email().replace(b"To: support@example.com", f"To: {recipients}, =?utf-8?q?S=C3=BCpport?= "
                            "<support@example.com>".encode())
    (transcript,) = read_bytes(data, "c.eml", name="c.eml")
    assert transcript.turns[0].speaker == "Dana"


@pytest.fixture(scope="module")
def coach():
    from transcript_coach import Coach

    return Coach()


@pytest.mark.parametrize("line", [
    "Customer: " + " ".join(f"word{i % 500}" for i in range(25_000)),  # a 200,000-character single line
    "Customer: " + " ." * 50_000,  # 100,000 characters of spaces and punctuation
    "Customer: " + "why? " * 20_000,  # thousands of one-word sentences
    "x" * 200_000,  # no speaker at all: refused
])
def test_huge_single_line_transcripts_are_scored_or_refused_quickly(tmp_path, coach, line, assert_valid):
    path = tmp_path / "big.txt"
    refused = line.startswith("x")
    path.write_text(line + ("\n" if refused else "\nAgent: Sorry about that, let me check.\n"), encoding="utf-8")
    start = time.perf_counter()
    items = [item.to_dict() for item in coach.score([path])]
    assert time.perf_counter() - start < 60  # a hang check: seconds on a slow machine, minutes before the fixes
    for item in items:
        assert_valid(item)
    if refused:
        assert [item["error"]["code"] for item in items] == ["no_speakers"]
    else:
        (report,) = items
        assert len(report["turns"][0]["text"]) <= 100_000
        json.dumps(report)
