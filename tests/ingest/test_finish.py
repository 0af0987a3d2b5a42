"""What ``finish`` does for every format: time order, one-sided warnings, empty conversations."""

from __future__ import annotations

import json

import pytest

from transcript_coach.ingest import read_bytes
from transcript_coach.model import Failure, Transcript


def jsonl(*rows):
    return "\n".join(json.dumps(r) for r in rows).encode()


def test_newest_first_exports_are_sorted_by_time_with_a_warning():
    data = jsonl(
        {"conversation_id": "c1", "timestamp": "2026-04-03T10:01:10Z", "role": "customer", "text": "thanks!"},
        {"conversation_id": "c1", "timestamp": "2026-04-03T10:00:40Z", "role": "agent", "text": "Refund sent today."},
        {"conversation_id": "c1", "timestamp": "2026-04-03T10:00:00Z", "role": "customer", "text": "Where is my refund?"},
    )
    (transcript,) = read_bytes(data, "export.jsonl")
    assert [t.text for t in transcript.turns] == ["Where is my refund?", "Refund sent today.", "thanks!"]
    assert [t.index for t in transcript.turns] == [0, 1, 2]
    assert transcript.started_at < transcript.ended_at
    assert any("not in time order" in w for w in transcript.warnings)


def test_equal_or_missing_times_keep_file_order_without_a_warning():
    data = jsonl(
        {"conversation_id": "c1", "timestamp": "2026-04-03T10:00:00Z", "role": "customer", "text": "a"},
        {"conversation_id": "c1", "timestamp": "2026-04-03T10:00:00Z", "role": "agent", "text": "b"},
        {"conversation_id": "c1", "role": "customer", "text": "c"},
        {"conversation_id": "c1", "timestamp": "2026-04-03T09:00:00Z", "role": "agent", "text": "d"},
    )
    (transcript,) = read_bytes(data, "export.jsonl")
    assert [t.text for t in transcript.turns] == ["a", "b", "c", "d"]
    assert not any("time order" in w for w in transcript.warnings)


def test_mixed_time_zones_sort_by_the_instant():
    data = jsonl(
        {"conversation_id": "c1", "timestamp": "2026-04-03T11:30:00+02:00", "role": "agent", "text": "second"},
        {"conversation_id": "c1", "timestamp": "2026-04-03T09:00:00+00:00", "role": "customer", "text": "first"},
    )
    (transcript,) = read_bytes(data, "export.jsonl")
    assert [t.text for t in transcript.turns] == ["first", "second"]


def test_json_saved_as_txt_is_read_as_json():
    data = json.dumps({"turns": [{"role": "customer", "text": "hi"}, {"role": "agent", "text": "hello"}]})
    (transcript,) = read_bytes(data.encode(), "ticket.txt")
    assert [t.role for t in transcript.turns] == ["customer", "agent"]


def test_a_conversation_without_text_is_an_error_in_its_place_and_the_file_is_read_on():
    """A ticket with only attachments, in an export of thousands, must not take the rest of the export with it."""
    (failure,) = read_bytes(jsonl({"conversation_id": "c1", "role": "agent", "text": "  "}), "x.jsonl")
    assert isinstance(failure, Failure) and failure.code == "no_turns" and "'c1'" in failure.message
    items = list(read_bytes(jsonl(
        {"conversation_id": "c1", "role": "customer", "text": "my parcel never came"},
        {"conversation_id": "c1", "role": "agent", "text": "Sorry, checking now."},
        {"conversation_id": "c2", "role": "customer", "text": " "},
        {"conversation_id": "c3", "role": "customer", "text": "where is my refund"},
        {"conversation_id": "c3", "role": "agent", "text": "It was sent today."}), "x.jsonl"))
    assert [item.id if isinstance(item, Transcript) else item.code for item in items] == ["c1", "no_turns", "c3"]


HALF_EMOJI = "\ud83d"  # the first half of an escape pair, as a JSON export cut inside an emoji holds it ("\ud83d")


@pytest.mark.parametrize("name, data", [
    ("export.jsonl", jsonl(
        {"conversation_id": f"c1{HALF_EMOJI}", "role": "customer", "author": f"Ann{HALF_EMOJI}",
         "text": f"my parcel never came {HALF_EMOJI}"},
        {"conversation_id": f"c1{HALF_EMOJI}", "role": "agent", "author": "Bob", "text": "Sorry! \U0001F600 On it."})),
    ("ticket.json", json.dumps({"id": "t1", "turns": [
        {"role": "customer", "author": "Ann", "text": f"\udc00{HALF_EMOJI} my parcel never came"},
        {"role": "agent", "author": "Bob", "text": "Sorry! \U0001F600 On it."}]}).encode()),
])
def test_half_of_an_escape_pair_in_json_becomes_a_replacement_character_with_a_warning(name, data):
    assert b"\\ud83d" in data  # ASCII JSON, the half pair as its escape
    (transcript,) = read_bytes(data, name)
    strings = [transcript.id, *transcript.warnings, *(t.text for t in transcript.turns),
               *(t.speaker or "" for t in transcript.turns)]
    for text in strings:
        text.encode("utf-8")  # no lone surrogate left: UTF-8 and spaCy take every string
    assert "\ufffd" in "".join(t.text for t in transcript.turns)
    assert transcript.turns[1].text == "Sorry! \U0001F600 On it."  # a whole pair is one character, kept
    (warning,) = [w for w in transcript.warnings if "not valid Unicode" in w]
    assert warning.startswith("2 character(s)" if name == "ticket.json" else "3 character(s)")


def test_an_export_without_lone_surrogates_has_no_such_warning():
    (transcript,) = read_bytes(jsonl({"conversation_id": "c1", "role": "customer", "text": "caf\u00e9 \U0001F600"},
                                     {"conversation_id": "c1", "role": "agent", "text": "ok"}), "export.jsonl")
    assert transcript.turns[0].text == "caf\u00e9 \U0001F600"
    assert not any("not valid Unicode" in w for w in transcript.warnings)


def test_a_conversation_over_the_turn_limit_is_refused_in_its_place():
    """An export whose conversations are not told apart reads as one enormous conversation: refused at once (it held
    gigabytes while it was analysed), and the file's other conversations are still read."""
    from transcript_coach.ingest import IngestOptions

    rows = [{"conversation_id": "big", "role": "customer" if i % 2 else "agent", "text": f"message {i}"}
            for i in range(7)]
    rows += [{"conversation_id": "small", "role": "customer", "text": "hi"},
             {"conversation_id": "small", "role": "agent", "text": "hello"}]
    big, small = read_bytes(jsonl(*rows), "x.jsonl", IngestOptions(max_turns=6))
    assert isinstance(big, Failure) and big.code == "too_long"
    assert "'big' has 7 messages, over the limit of 6 (raise it with --max-turns)" in big.message
    assert isinstance(small, Transcript) and small.id == "small"
    assert all(isinstance(t, Transcript) for t in read_bytes(jsonl(*rows), "x.jsonl", IngestOptions(max_turns=7)))


def test_control_characters_from_an_export_are_replaced_so_no_terminal_obeys_them():
    """A customer's name chosen as an escape code would clear, retitle or write the clipboard of the terminal that
    shows the table or review queue."""
    data = json.dumps({"turns": [
        {"role": "customer", "speaker": "Dana\u001b[2J", "text": "my order is late \u001b]52;c;cHduZWQ=\u0007 ok"},
        {"role": "agent", "speaker": "Tom\u009b5m", "text": "Sorry,\tchecking\nnow\r\n\u0085done"}]}).encode()
    (transcript,) = read_bytes(data, "export.json")
    customer, agent = transcript.turns
    assert customer.speaker == "Dana\ufffd[2J"
    assert customer.text == "my order is late \ufffd]52;c;cHduZWQ=\ufffd ok"
    assert agent.speaker == "Tom\ufffd5m" and "\t" in agent.text and "\n" in agent.text and "\u0085" in agent.text
    assert "4 control character(s) (such as the escape codes that drive a terminal) replaced" in " ".join(
        transcript.warnings)
