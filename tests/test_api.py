from __future__ import annotations

import re
import weakref
from datetime import datetime, timezone

import pytest

from transcript_coach import SKILLS, Coach, Transcript
from transcript_coach.nlp import BATCH_TURNS, load_pipeline


def test_readme_python_example_runs(monkeypatch, capsys, repo):
    readme = (repo / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Python API", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(repo)
    exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "['Tom'] 68.0" in out


def test_transcript_from_plain_dicts(assert_valid):
    transcript = Transcript.from_turns(
        [
            {"speaker": "Dana", "text": "Hi, my order never arrived.", "timestamp": "2026-04-03T09:14:02Z"},
            {"speaker": "Agent (Tom)", "text": "Sorry, Dana, checking now.", "timestamp": 1775207700},
            {"speaker": "Tom", "text": "Refund approved", "internal": True},
        ],
        id="t1",
    )
    assert [t.role for t in transcript.turns] == ["customer", "agent", "agent"]
    assert transcript.turns[1].timestamp == datetime(2026, 4, 3, 9, 15, tzinfo=timezone.utc)
    assert transcript.turns[2].internal
    report = Coach().analyze(transcript)
    document = assert_valid(report.to_dict())
    assert document["id"] == "t1" and document["agents"] == ["Tom"]
    assert set(document["skills"]) == set(SKILLS)
    assert document["metrics"]["internal_notes"] == 1


def test_one_sided_conversation_is_reported_with_a_warning_and_null_customer_skills(assert_valid):
    transcript = Transcript.from_turns([{"role": "agent", "speaker": "Tom", "text": "Your refund was sent today."}])
    document = assert_valid(Coach().analyze(transcript).to_dict())
    assert any("one-sided" in w for w in document["warnings"])
    for name in ("active_listening", "empathy", "patience", "problem_solving", "conflict_resolution"):
        assert document["skills"][name]["score"] is None
        assert "customer" in document["skills"][name]["reason"]


def test_analyze_many_streams_with_bounded_lookahead():
    seen = []

    def transcripts():
        for i in range(3000):
            seen.append(i)
            yield Transcript.from_turns([{"role": "customer", "text": f"hi {i}"}, {"role": "agent", "text": "hello"}])

    stream = Coach().analyze_many(transcripts())
    first = next(stream)
    assert first.transcript.turns[0].text == "hi 0"
    assert len(seen) <= BATCH_TURNS // 2 + 1 < 3000
    assert sum(1 for _ in stream) == 2999


def test_a_long_run_renews_the_pipeline_and_no_report_changes(samples, monkeypatch):
    """spaCy's vocabulary keeps every word form it meets: past PIPELINE_NEW_STRINGS new forms, the Coach builds its
    pipeline again between batches, so the vocabulary stays bounded on a run of any length."""
    import transcript_coach.coach as coach_module
    from transcript_coach.reporting import jsonl_line

    plain = Coach()
    expected = [jsonl_line(r) for r in plain.score([samples])]
    monkeypatch.setattr(coach_module, "PIPELINE_NEW_STRINGS", 200)
    monkeypatch.setattr(coach_module, "BATCH_TURNS", 20)  # many batches: the pipeline is renewed between them
    renewing = Coach()
    built = [weakref.ref(renewing.nlp)]
    still_alive_when_renewed = []

    def renewed_pipeline(model):  # the old pipeline must be gone before a new one is built (memory never holds two)
        still_alive_when_renewed.extend(old() is not None for old in built)
        nlp = load_pipeline(model)
        built.append(weakref.ref(nlp))
        return nlp

    monkeypatch.setattr(coach_module, "load_pipeline", renewed_pipeline)
    table = renewing.resources.word_frequencies()
    assert [jsonl_line(r) for r in renewing.score([samples])] == expected
    assert len(built) > 2 and not any(still_alive_when_renewed)
    assert renewing.resources.nlp is renewing.nlp is built[-1]()
    assert len(renewing.nlp.vocab.strings) < len(plain.nlp.vocab.strings)
    assert renewing.resources.word_frequencies() is table  # the word table holds nothing of the pipeline: kept


def test_the_docs_of_an_analysed_conversation_go_without_the_garbage_collector(samples, monkeypatch):
    """A doc keeps its sentences, made once (``nlp.doc_sentences``), and so refers to itself; once its conversation's
    report is made they are let go, so that each doc goes when it is no longer used, not at the next collection."""
    import gc

    import transcript_coach.coach as coach_module

    made = []
    parse = coach_module.parse_stream

    def recorded(nlp, batch, skip):
        for doc in parse(nlp, batch, skip=skip):
            made.append(weakref.ref(doc))
            yield doc

    monkeypatch.setattr(coach_module, "parse_stream", recorded)
    coach = Coach()
    gc.disable()
    try:
        reports = list(coach.score([samples / "chat_refund_priya_early.txt", samples / "email_thread_outage.mbox"]))
        assert len(reports) >= 2 and len(made) > 10
        assert [ref for ref in made if ref() is not None] == []
    finally:
        gc.enable()


def test_one_path_given_as_a_string_or_path_is_that_path_not_its_characters(samples, tmp_path, monkeypatch):
    """A string is iterable: read as the paths of its characters, a "/" among them would have the walk search the
    whole disk. (Relative names here, so that code taking the characters fails at once rather than walk the disk.)"""
    from pathlib import Path

    from transcript_coach.reporting import jsonl_line
    from transcript_coach.review import load_reports

    monkeypatch.chdir(samples)
    name = "chat_late_delivery_parcelpoint.txt"
    coach = Coach()
    for given in (name, Path(name)):
        (report,) = coach.score(given)
        assert report.transcript.source == name
        (read,) = coach.read(given)
        assert read.id == "chat_late_delivery_parcelpoint"
    monkeypatch.chdir(tmp_path)
    Path("reports.jsonl").write_text(jsonl_line(report), encoding="utf-8")
    for given in ("reports.jsonl", Path("reports.jsonl")):
        (document,) = load_reports(given)
        assert document["id"] == "chat_late_delivery_parcelpoint"
    monkeypatch.chdir(samples.parent)
    assert [r.transcript.id for r in coach.score(samples.name, jobs=2)] == [r.transcript.id for r in
                                                                           coach.score([samples.name])]


def test_transcript_from_turns_takes_a_ticket_number_and_one_agent_name():
    turns = [{"speaker": "Tom", "text": "Hi, thanks for waiting."}, {"speaker": "Dana", "text": "My order is late."}]
    transcript = Transcript.from_turns(turns, id=48213, agents="Tom")
    assert transcript.id == "48213"
    assert [t.role for t in transcript.turns] == ["agent", "customer"]
    assert not any("no role label" in w for w in transcript.warnings)  # the roster named Tom, not T, o and m


@pytest.mark.parametrize("turns, options, error", [
    ({"speaker": "Tom", "text": "hi"}, {}, "expected a list of messages"),
    ("Tom: hi", {}, "expected a list of messages"),
    ([{"speaker": "Tom", "text": "hi"}], {"id": None}, "id must be a string or a whole number"),
    ([{"speaker": "Tom", "text": "hi"}], {"channel": "fax"}, "channel must be one of chat, email, voice"),
])
def test_transcript_from_turns_says_what_is_wrong_with_its_arguments(turns, options, error):
    with pytest.raises((TypeError, ValueError), match=error):
        Transcript.from_turns(turns, **options)


def test_analyze_refuses_anything_but_a_transcript_with_a_clear_error():
    coach = Coach()
    for wrong in ("Customer: hi", {"turns": []}):
        with pytest.raises(TypeError, match="expected a Transcript"):
            coach.analyze(wrong)
    with pytest.raises(TypeError, match="expected a Transcript"):
        list(coach.analyze_many(["Customer: hi"]))


@pytest.mark.parametrize("options, error", [
    ({"agents": "Tom"}, "agents takes a sequence of strings"),
    ({"agent_domains": "support.example.com"}, "agent_domains takes a sequence of strings"),
    ({"agent_pattern": "(unclosed"}, "agent_pattern is not a valid regular expression"),
    ({"agent_pattern": 5}, "agent_pattern must be a regular expression"),
    ({"format": "docx"}, "unknown format 'docx'"),
    ({"max_file_bytes": 0}, "max_file_bytes must be a whole number of at least 1"),
    ({"max_turn_chars": 2.5}, "max_turn_chars must be a whole number of at least 1"),
    ({"max_turns": 0}, "max_turns must be a whole number of at least 1"),
])
def test_ingest_options_say_what_is_wrong_when_made_not_on_every_file(options, error):
    from transcript_coach.ingest import IngestOptions

    with pytest.raises((TypeError, ValueError), match=error):
        IngestOptions(**options)


def test_ingest_options_take_lists_and_a_pattern_as_text(samples):
    from transcript_coach.ingest import IngestOptions

    options = IngestOptions(agents=["Tom"], agent_pattern=r"^Agent\b")
    assert options.agents == ("Tom",) and options.agent_pattern.search("Agent Smith")
    (report,) = Coach(options=options).score([samples / "chat_late_delivery_parcelpoint.txt"])
    assert report.transcript.agents == ("Tom",)


@pytest.mark.parametrize("arguments, error", [
    ({"timeout": -1}, "timeout must be a number of seconds"),
    ({"timeout": "30"}, "timeout must be a number of seconds"),
    ({"timeout": float("nan")}, "timeout must be a number of seconds"),
    ({"redact": "yes"}, "redact must be a RedactOptions"),
    ({"options": {"agents": ["Tom"]}}, "options must be an IngestOptions"),
])
def test_coach_says_what_is_wrong_with_its_arguments_when_made(arguments, error):
    with pytest.raises((TypeError, ValueError), match=error):
        Coach(**arguments)


def test_coach_redact_true_is_redaction_with_the_default_options(samples):
    chat = samples / "chat_late_delivery_parcelpoint.txt"
    (plain,) = Coach().score([chat])
    (redacted,) = Coach(redact=True).score([chat])
    assert "Dana" in plain.transcript.turns[0].speaker
    assert "Dana" not in " ".join(t.speaker + " " + t.text for t in redacted.transcript.turns)
    assert redacted.metrics["redactions"]
