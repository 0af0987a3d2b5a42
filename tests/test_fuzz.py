"""Property-based fuzzing of every parser and of the analysis.

Inputs are generated with the shape of each format (chat lines with random labels and stamps, JSON with random
values in the fields the readers look at, CSV with stray quotes, emails with random headers and quoting, subtitle
cues with odd timings) and filled with awkward text (emoji, right-to-left and zero-width characters, control
characters, markup, separators), so that the fuzzing reaches the code behind the format checks. For every input:

- reading either gives transcripts or raises ``InputError`` (never another exception);
- every report is valid against the shipped schema, is plain JSON (no NaN) and keeps the offsets invariant
  ``turns[e.turn].text[e.start:e.end] == e.text``.

Examples per test: ``TC_FUZZ_EXAMPLES`` (default 100, which keeps the module well under a minute); set it
higher for a longer campaign. Failures print the input that caused them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import zipfile

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from transcript_coach import Coach, Transcript
from transcript_coach.errors import InputError
from transcript_coach.ingest import iter_inputs, read_bytes, read_path
from transcript_coach.schema import schema_errors

settings.register_profile(
    "transcript-coach-fuzz",
    max_examples=int(os.environ.get("TC_FUZZ_EXAMPLES", "100")),
    deadline=None,
    database=None,  # nothing written into the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
FUZZ = settings.get_profile("transcript-coach-fuzz")

# --- awkward text ------------------------------------------------------------------------------------------------

SPECIALS = [
    "\u200b", "\u200d", "\u202e", "\u2066", "\ufeff", "\u00a0", "\u0301", "😀", "👍🏽", "🇬🇧", "مرحبا", "שלום", "日本語",
    "\r", "\t", "\u2028", "\u0085", ">", ":", "[", "]", "(", ")", "<", '"', "'", ",", ";", "|", "-->",
    "<v Tom>", "=?utf-8?q?caf=C3=A9?=", "<p>", "</div>", "&amp;", "&#0;", "{\\an8}", "--", "-- ", "On Monday Tom wrote:",
    "Agent:", "Customer:", "09:14", "[09:14]", "2026-04-03T09:14:02Z", "$1,299.99", "SM-G991B", "https://x.y/z",
    "a@b.co", "I'm sorry", "I will call you back by 5pm", "why?", "!!!", "NOT OK", "Settings > Privacy",
]
words = st.one_of(
    st.sampled_from(SPECIALS),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),  # control characters: binary
    st.sampled_from(["order", "refund", "sorry", "thanks", "please", "the", "router", "late", "help", "hi"]),
)
texts = st.lists(words, max_size=25).map(" ".join)


def mostly(usual, odd, times: int = 3, *, clean: bool = False):
    """``usual`` ``times`` times as often as ``odd`` (only ``usual`` when ``clean``): well-formed input gets past
    the format checks to the code behind them, odd input exercises the checks."""
    return usual if clean else st.one_of(*[usual] * times, odd)


one_line = texts.map(lambda t: " ".join(t.splitlines()))  # no line breaks of any kind (\r, \x85, \u2028 ...)


lines_text = st.lists(texts, min_size=1, max_size=4).map("\n".join)
labels = st.one_of(
    st.sampled_from(["Customer", "Agent", "Agent (Tom)", "Tom", "Sarah (Support)", "Support Bot", "System",
                     "Visitor 1", "Tom [09:14]", "Priya Raman", "Internal note", "Dana (customer)", "Agent Tom"]),
    texts.map(lambda t: t[:30]),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63), st.floats(allow_nan=False),
                         texts, st.sampled_from(SPECIALS))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                                 st.dictionaries(texts, inner, max_size=3)),
                           max_leaves=8)
good_stamps = st.sampled_from(["2026-04-03 09:14:02", "09:14", "10:42 AM", "2026-04-03T09:14:02Z",
                               "2026-04-03T10:14:02+01:00", "1712130842", "2026-04-03T09:15:10.250Z"])
stamps = st.one_of(st.none(), good_stamps, good_stamps, st.sampled_from(["99:99", "2026-13-45 25:61", "yesterday", ""]),
                   texts.map(lambda t: t[:20]))


@st.composite
def chat_logs(draw, clean: bool = False) -> bytes:
    out = []
    for _ in range(draw(st.integers(1, 8))):
        stamp = draw(stamps)
        head = f"[{stamp}] " if stamp and draw(st.booleans()) else (f"{stamp} " if stamp else "")
        style = draw(st.sampled_from(["line", "line", "continuation", "system", "header", "raw"]))
        if style == "line":
            out.append(f"{head}{draw(labels)}: {draw(texts)}")
        elif style == "continuation":
            out.append(draw(texts))
        elif style == "system":
            out.append(f"*** {draw(texts)} ***")
        elif style == "header":
            out.append(f"{draw(st.sampled_from(['Date', 'Agents', 'Customer', 'Subject']))}: {draw(texts)}")
        else:
            out.append(draw(lines_text))
    return "\n".join(out).encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-16"])), errors="replace")


def _vtt_time(draw, clean: bool) -> str:
    odd = st.one_of(st.from_regex(r"[0-9]{1,3}:[0-9]{1,2}(:[0-9]{1,2})?[.,][0-9]{0,4}", fullmatch=True), one_line)
    return draw(mostly(st.sampled_from(["00:00:01.000", "00:01.500", "1:02:03.004", "00:00:00.000", "00:10:00.999"]),
                       odd, times=12, clean=clean))


@st.composite
def subtitles(draw, clean: bool = False) -> tuple[str, bytes]:
    vtt = draw(st.booleans())
    parts = ["WEBVTT", ""] if vtt else []
    for number in range(1, draw(st.integers(1, 6)) + 1):
        if vtt and draw(st.booleans()):
            parts.append(f"NOTE {draw(one_line)}\n")
        if not vtt:
            parts.append(str(draw(mostly(st.just(number), st.integers(-5, 10**6), clean=clean))))
        start, end = _vtt_time(draw, clean), _vtt_time(draw, clean)
        if not vtt:
            start, end = start.replace(".", ","), end.replace(".", ",")
        parts.append(f"{start} --> {end}{draw(st.sampled_from(['', ' align:start', ' position:10%']))}")
        speaker = draw(labels)
        speaker = " ".join(speaker.splitlines())
        line = draw(mostly(one_line, texts, times=7, clean=clean))
        parts.append(f"<v {speaker}>{line}" if vtt and draw(st.booleans()) else f"{speaker}: {line}")
        if draw(st.booleans()):
            parts.append(draw(one_line) or "more")
        parts.append("")
    return ("c.vtt" if vtt else "c.srt"), "\n".join(parts).encode("utf-8", errors="replace")


COLUMNS = ["conversation_id", "speaker", "role", "text", "timestamp", "internal", "author", "message", "ticket_id"]


@st.composite
def csv_files(draw, clean: bool = False) -> bytes:
    base = draw(mostly(st.just(["conversation_id", "speaker", "text"]), st.just([]), clean=clean))
    columns = base + draw(st.lists(st.sampled_from([c for c in COLUMNS if c not in base]), max_size=4, unique=True))
    columns = draw(st.permutations(columns)) if columns else ["text"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    cell = {
        "conversation_id": st.sampled_from(["c1", "c2", "c3"]), "ticket_id": st.sampled_from(["c1", "c2"]),
        "role": st.sampled_from(["agent", "customer", "bot", "system", "Agent", "end-user"]),
        "internal": st.sampled_from(["true", "false", "0", "1", "yes", ""]),
        "timestamp": st.one_of(st.none(), good_stamps).map(lambda s: s or ""),  # one bad stamp refuses the file
        "speaker": labels, "author": labels,
    }
    for _ in range(draw(st.integers(1, 8))):
        writer.writerow([draw(mostly(cell.get(c, texts), texts, times=9, clean=clean)) for c in columns])
    text = buffer.getvalue()
    if draw(mostly(st.just(False), st.just(True), clean=clean)):  # stray quotes and separators
        for _ in range(draw(st.integers(1, 4))):
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(['"', '""', ",", "\n", "\r", ";", "\t"])) + text[at:]
    return text.encode("utf-8", errors="replace")


def _message(draw, clean: bool) -> dict:
    keys = draw(st.lists(st.sampled_from(["text", "message", "body", "html_body", "speaker", "author", "role",
                                          "author_type", "timestamp", "created_at", "internal", "private", "type",
                                          "conversation_id", "email", "from_agent"]), max_size=7, unique=True))
    usual = {"internal": st.booleans(), "private": st.booleans(), "from_agent": st.booleans(),
             "timestamp": good_stamps, "created_at": good_stamps, "speaker": labels, "author": labels}
    message = {key: draw(mostly(usual.get(key, texts), json_values, times=20, clean=clean)) for key in keys}
    if draw(mostly(st.just(True), st.just(False), clean=clean)):
        message["text"] = draw(texts) or "hello"
        message["role"] = draw(st.sampled_from(["agent", "customer", "bot", "system", "end-user", "admin", "x"]))
    return message


@st.composite
def json_exports(draw, clean: bool = False) -> tuple[str, bytes]:
    kinds = ["turns", "list", "jsonl", "zendesk", "intercom", "freshdesk"] + ([] if clean else ["any"])
    kind = draw(st.sampled_from(kinds))
    text_or_json = mostly(texts, json_values, times=20, clean=clean)
    flag = mostly(st.booleans(), json_scalars, clean=clean)
    stamp = good_stamps if clean else stamps
    epoch = mostly(st.integers(1_600_000_000, 1_800_000_000), json_scalars, clean=clean)
    messages = [_message(draw, clean) for _ in range(draw(st.integers(0, 6)))]
    if kind == "turns":
        document = {"id": draw(json_scalars), "turns": messages}
    elif kind == "list":
        document = messages
    elif kind == "jsonl":
        return "c.jsonl", "\n".join(json.dumps(dict(m, conversation_id=draw(st.sampled_from(["a", "b", 1, None]))))
                                    for m in messages).encode()
    elif kind == "zendesk":
        document = {"ticket": {"id": draw(json_scalars), "subject": draw(text_or_json),
                               "description": draw(text_or_json), "requester_id": 1},
                    "comments": [{"id": i, "author_id": draw(st.sampled_from([1, 2, 3, None, "x"])),
                                  "body": draw(text_or_json), "html_body": draw(text_or_json),
                                  "public": draw(flag), "created_at": draw(stamp)} for i in range(3)],
                    "users": [{"id": i, "name": draw(labels), "role": draw(st.sampled_from(["end-user", "agent",
                                                                                           "admin", 5]))}
                              for i in (1, 2)]}
    elif kind == "intercom":
        part = {"part_type": draw(st.sampled_from(["comment", "note", "assignment", "close", None, 3])),
                "body": draw(text_or_json), "created_at": draw(epoch),
                "author": {"type": draw(st.sampled_from(["user", "admin", "bot", "lead"])), "name": draw(labels)}}
        document = {"type": "conversation", "id": draw(json_scalars),
                    "source": {"body": draw(text_or_json), "author": {"type": "user"}},
                    "conversation_parts": {"conversation_parts": [part, dict(part, body=draw(texts))]}}
    elif kind == "freshdesk":
        document = {"id": draw(json_scalars), "subject": draw(text_or_json), "description_text": draw(texts),
                    "conversations": [{"body_text": draw(text_or_json), "body": draw(texts), "incoming": draw(flag),
                                       "private": draw(flag), "created_at": draw(stamp)} for _ in range(2)]}
    else:
        document = draw(json_values)
    return "c.json", json.dumps(document, ensure_ascii=draw(st.booleans())).encode()


@st.composite
def emails(draw, clean: bool = False) -> bytes:
    headers = {
        "From": draw(mostly(st.sampled_from(["Dana <dana@example.com>", "support@lumora.example",
                                             '"Tom via Support" <tom@support.example>', "=?utf-8?q?Zo=C3=AB?= <z@x>"]),
                            texts, clean=clean)),
        "To": draw(mostly(st.just("support@example.com"), texts, clean=clean)),
        "Subject": draw(mostly(st.just("Re: my order"), texts, clean=clean)),
        "Date": draw(mostly(st.just("Mon, 3 Mar 2026 09:00:00 +0000"), texts, clean=clean)),
        "Message-ID": draw(mostly(st.just("<m1@example.com>"), texts, clean=clean)),
    }
    if draw(st.booleans()):
        headers["In-Reply-To"] = draw(mostly(st.just("<m0@example.com>"), texts, clean=clean))
    if draw(st.booleans()):
        headers["Content-Type"] = draw(st.sampled_from([
            "text/plain; charset=utf-8", "text/html", "text/plain; charset=bogus", "multipart/alternative; boundary=b",
            "text/plain; format=flowed"]))
    body = [draw(texts) or "hello", draw(texts)]
    if draw(st.booleans()):
        body += ["", f"On {draw(texts)} {draw(labels)} <a@b.c> wrote:"] + [f"> {draw(texts)}" for _ in range(3)]
    if draw(st.booleans()):
        body += ["-- ", draw(texts)]
    text = "\n".join(f"{k}: {v}".replace("\n", " ") for k, v in headers.items()) + "\n\n" + "\n".join(body) + "\n"
    if headers.get("Content-Type", "").startswith("multipart"):
        text += f"--b\nContent-Type: text/plain\n\n{draw(texts)}\n--b\nContent-Type: text/html\n\n<p>{draw(texts)}</p>\n"
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "cp1252"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.booleans()):
        data = b"From dana@example.com Mon Mar  3 09:00:00 2026\n" + data + b"\nFrom x Mon Mar  3 09:00:00 2026\n" + data
    return data


# --- the property ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def coach() -> Coach:
    return Coach()


def check_reports(coach: Coach, transcripts: list[Transcript]) -> None:
    for report in coach.analyze_many(transcripts):
        document = report.to_dict()
        assert schema_errors(document) == []
        json.dumps(document, allow_nan=False)
        turns = report.transcript.turns
        for e in report.evidence:
            assert turns[e.turn].text[e.start:e.end] == e.text, e


def check_input(coach: Coach, data: bytes, name: str) -> None:
    try:
        items = list(read_bytes(data, name, name=name))
    except InputError as exc:
        assert exc.code and str(exc).startswith(name)
        event(f"refused: {exc.code} {str(exc)[len(name):][:90]}")
        return
    transcripts = [item for item in items if isinstance(item, Transcript)]
    for failed in items:  # a conversation without text, in place
        if not isinstance(failed, Transcript):
            assert failed.code == "no_turns" and failed.message.startswith(name), failed
            event("a conversation refused: no_turns")
    event(f"read: {min(len(transcripts), 3)} transcript(s)")
    for transcript in transcripts:
        assert transcript.turns and [t.index for t in transcript.turns] == list(range(len(transcript.turns)))
    check_reports(coach, transcripts)


@FUZZ
@given(data=chat_logs(), name=st.sampled_from(["c.txt", "c.log"]))
@example(data=b"Customer: " + b"!" * 5000, name="c.txt")
def test_chat(coach, data, name):
    check_input(coach, data, name)


@FUZZ
@given(named=subtitles())
def test_subtitles(coach, named):
    check_input(coach, named[1], named[0])


@FUZZ
@given(data=csv_files(), name=st.sampled_from(["c.csv", "c.tsv"]))
@example(data=b'conversation_id,speaker,text\nc1,Customer,"unclosed\nc1,Agent,hi\n', name="c.csv")
def test_csv(coach, data, name):
    check_input(coach, data, name)


@FUZZ
@given(named=json_exports())
@example(named=("c.json", b'{"turns": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"))
@example(named=("c.json", b'{"turns": [{"role": "customer", "text": ' + b"9" * 5000 + b"}]}"))
@example(named=("c.jsonl", b'{"conversation_id": "a", "text": "hi", "role": "customer"}\n' + b"{" * 50_000))
def test_json_and_helpdesk_exports(coach, named):
    check_input(coach, named[1], named[0])


@FUZZ
@given(named=json_exports(), shape=st.sampled_from(["list", "wrapped", "lines", "as generated"]),
       indent=st.sampled_from([None, 1]), cut=st.sampled_from([0, 0, 1, 7, 40]),
       last=st.sampled_from(["", "", "{}", "[1]", '"x"', " \t"]), packed=st.sampled_from(["", "", ".gz", ".zip"]))
def test_a_json_file_read_from_disk_gives_what_its_text_gives(tmp_path_factory, reading_outcome, named, shape, indent,
                                                              cut, last, packed):
    """A JSON list of conversations in a file is read from disk (``records.load_json_file``; compressed, or in a zip
    archive, through its decompressor: ``records.load_json_stream``), any other JSON file as text: all give what the
    text reading of the same bytes gives, conversations or the error, cut short or not."""
    name, data = named
    if name == "c.json" and shape != "as generated":
        document = json.loads(data)
        if shape == "lines":  # the last line perhaps not an object
            data = "\n".join([json.dumps(document), json.dumps(document), last]).encode()
        else:
            listed = [document, document] if shape == "list" else {"conversations": [document, document]}
            data = json.dumps(listed, indent=indent, ensure_ascii=False).encode()
    data = data[:len(data) - cut]
    folder = tmp_path_factory.mktemp("json")
    if packed == ".zip":
        with zipfile.ZipFile(folder / "export.zip", "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, data)
        path = folder / "export.zip" / name
    else:
        path = folder / f"{name}{packed}"
        path.write_bytes(gzip.compress(data) if packed else data)
    assert reading_outcome(lambda: read_path(path)) == reading_outcome(lambda: read_bytes(data, str(path), name=name))


@FUZZ
@given(data=emails(), name=st.sampled_from(["c.eml", "c.mbox"]))
def test_email(coach, data, name):
    check_input(coach, data, name)


@FUZZ
@given(data=chat_logs(clean=True), named_subtitles=subtitles(clean=True), csv_data=csv_files(clean=True),
       named_json=json_exports(clean=True), email=emails(clean=True))
def test_well_formed_inputs_of_every_format(coach, data, named_subtitles, csv_data, named_json, email):
    """The same generators without the odd values: most of these are read, so the analysis sees them."""
    check_input(coach, data, "c.txt")
    check_input(coach, named_subtitles[1], named_subtitles[0])
    check_input(coach, csv_data, "c.csv")
    check_input(coach, named_json[1], named_json[0])
    check_input(coach, email, "c.eml")


@FUZZ
@given(data=st.binary(max_size=2000), name=st.sampled_from(["c.txt", "c.json", "c.jsonl", "c.csv", "c.eml",
                                                              "c.mbox", "c.vtt", "c.srt", "noextension"]))
def test_random_bytes(coach, data, name):
    check_input(coach, data, name)


def _archive() -> bytes:
    """A zip archive with a member stored and one compressed by each method zipfile reads, in a subfolder too."""
    out = io.BytesIO()
    chat = "Customer: my parcel is late\nAgent: I'm sorry, I will check it now\n"
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", chat * 3, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("d/b.jsonl", '{"conversation_id": "1", "role": "customer", "text": "hi"}\n',
                         compress_type=zipfile.ZIP_BZIP2)
        archive.writestr("c.csv", "conversation_id,speaker,text\n1,Customer,hi\n", compress_type=zipfile.ZIP_LZMA)
        archive.writestr("e.txt", chat, compress_type=zipfile.ZIP_STORED)
        conversation = {"messages": [{"role": "customer", "text": "my parcel is late"},
                                     {"role": "agent", "text": "I'm sorry, I will check it now"}]}
        archive.writestr("f.json", json.dumps([conversation, conversation]), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


ARCHIVE = _archive()


@FUZZ
@given(changes=st.lists(st.tuples(st.integers(0, len(ARCHIVE) - 1), st.integers(0, 255)), min_size=1, max_size=6),
       cut=st.one_of(st.none(), st.integers(0, len(ARCHIVE))))
def test_a_damaged_zip_archive_gives_error_records_only(tmp_path_factory, changes, cut):
    """Each input of a damaged archive is read or is an error record; the archive too, when it cannot be listed."""
    data = bytearray(ARCHIVE)
    for offset, value in changes:
        data[offset] = value
    path = tmp_path_factory.mktemp("zip") / "export.zip"
    path.write_bytes(bytes(data[:cut]))
    for item in iter_inputs([path]):
        try:
            assert all(isinstance(t, Transcript) for t in read_path(item))
        except InputError as error:
            event(error.code)


turn_texts = st.one_of(texts, st.text(max_size=300), st.sampled_from(SPECIALS))


@FUZZ
@given(turns=st.lists(st.tuples(st.sampled_from(["agent", "customer", "bot", "system"]), labels, turn_texts,
                                st.booleans(), stamps), min_size=1, max_size=8))
@example(turns=[("customer", "Dana", "a" * 100_000, False, None), ("agent", "Tom", "\u200b" * 5000, False, None)])
@example(turns=[("customer", "Dana", "مرحبا 😀 \u202eevil\u202c", False, None),
                ("agent", "Tom", "I'm sorry 😀 we will refund $5 by 5pm", False, "2026-04-03T09:14:02Z")])
def test_analysis_of_arbitrary_turns(coach, turns):
    records = [{"role": role, "speaker": speaker, "text": text, "internal": internal, "timestamp": stamp}
               for role, speaker, text, internal, stamp in turns if text.strip()]
    if not records:
        return
    try:
        transcript = Transcript.from_turns(records)
    except InputError:
        return
    check_reports(coach, [transcript])
