"""Metamorphic checks: edit a real conversation in one known way and see whether the named skill moves the right way.

Conversations: the support-tweet threads of TWCS (real brand replies) and our sample transcripts. Edits:

- remove empathy: drop every agent sentence that carries empathy evidence -> empathy must score lower;
- inject jargon: add an unexplained jargon sentence to the first agent reply -> clear_communication lower;
- vague promise: the same reply ending with a specific promise vs a vague one -> follow_up higher for the specific
  (the phrasing only: the last agent reply, and a promise without a date, so that neither can fall due unkept in
  later turns, which the ledger rightly counts against follow-up);
- add blame: start the first agent reply with a blaming sentence -> professionalism lower;
- remove the closing: drop the agent's final turn when it holds the goodbye -> professionalism lower.

A pair counts only where the edit applies (e.g. there was empathy to remove) and the skill was scored before the
edit; a score that becomes null after the edit counts as a failure. Target (issue 4): at least 95% per edit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from transcript_coach import Coach, Transcript
from transcript_coach.ingest import iter_inputs, read_path
from transcript_coach.model import Report

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

JARGON = "Your RMA is pending in our CRM until the SLA window closes."
BLAME = "You should have checked this before contacting us."
SPECIFIC = "I'll email you the tracking number."  # specific by what it delivers; a dated one could fall due unkept
VAGUE = "We'll look into it and someone will get back to you."
TARGET = 0.95


def _records(t: Transcript) -> list[dict]:
    return [{"role": turn.role, "speaker": turn.speaker, "text": turn.text, "timestamp": turn.timestamp,
             "internal": turn.internal} for turn in t.turns]


def _rebuild(t: Transcript, records: list[dict]) -> Transcript:
    return Transcript.from_turns([r for r in records if r["text"].strip()], id=t.id, channel=t.channel,
                                 source=t.source)


def remove_empathy(report: Report) -> Transcript | None:
    t = report.transcript
    spans = [e for e in report.evidence if e.feature.startswith("empathy.")]
    if not spans:
        return None
    sentences = {(s.turn, s.start, s.end) for s in report.evidence if s.feature == "tone.agent_sentiment"
                 for e in spans if e.turn == s.turn and s.start <= e.start and e.end <= s.end}
    records = _records(t)
    for turn, start, end in sorted(sentences, reverse=True):
        text = records[turn]["text"]
        records[turn]["text"] = text[:start] + text[end:]
    edited = _rebuild(t, records)
    return edited if edited.has_role("agent") else None  # the reply was nothing but empathy: no pair


def _edit_agent_reply(report: Report, edit: Callable[[str], str], *, last: bool = False) -> Transcript | None:
    """The conversation with the first (or ``last``) customer-facing agent reply edited."""
    records = _records(report.transcript)
    agent = [i for i, r in enumerate(records) if r["role"] == "agent" and not r["internal"]]
    if not agent:
        return None
    chosen = agent[-1] if last else agent[0]
    records[chosen]["text"] = edit(records[chosen]["text"])
    return _rebuild(report.transcript, records)


def remove_closing(report: Report) -> Transcript | None:
    records = _records(report.transcript)
    farewell = {e.turn for e in report.evidence if e.feature == "structure.farewell"}
    agent_turns = [i for i, r in enumerate(records) if r["role"] == "agent" and not r["internal"]]
    if len(agent_turns) < 2 or farewell != {agent_turns[-1]}:  # the goodbye is in the last turn, and only there
        return None
    del records[agent_turns[-1]]
    return _rebuild(report.transcript, records)


def conversations(data_dir: Path) -> list[Transcript]:
    from eval_twcs import read_threads, transcripts

    found = [t for t in transcripts(read_threads(data_dir / "twcs" / "twcs_head5000.csv"))
             if t.has_role("agent") and t.has_role("customer")]
    for path in iter_inputs([HERE.parent / "sample_transcripts"]):
        found.extend(t for t in read_path(path) if isinstance(t, Transcript) and t.has_role("agent")
                     and t.has_role("customer"))
    return found


def evaluate(data_dir: Path) -> dict[str, tuple[int, int]]:
    coach = Coach()
    originals = list(coach.analyze_many(conversations(data_dir)))
    checks: dict[str, tuple[str, Callable[[Report], tuple[Transcript | None, Transcript | None]], int]] = {
        "remove empathy": ("empathy", lambda r: (r.transcript, remove_empathy(r)), -1),
        "inject jargon": ("clear_communication",
                          lambda r: (r.transcript, _edit_agent_reply(r, lambda x: x + " " + JARGON)), -1),
        "add blame": ("professionalism", lambda r: (r.transcript, _edit_agent_reply(r, lambda x: BLAME + " " + x)), -1),
        "remove closing": ("professionalism", lambda r: (r.transcript, remove_closing(r)), -1),
        "specific vs vague promise": ("follow_up",
                                      lambda r: (_edit_agent_reply(r, lambda x: x + " " + VAGUE, last=True),
                                                 _edit_agent_reply(r, lambda x: x + " " + SPECIFIC, last=True)), 1),
    }
    results: dict[str, tuple[int, int]] = {}
    for name, (skill, make, direction) in checks.items():
        pairs = [(r, *make(r)) for r in originals]
        pairs = [(r, a, b) for r, a, b in pairs if a is not None and b is not None]
        before = [a if a is not r.transcript else None for r, a, b in pairs]
        scored_before = list(coach.analyze_many([a for a in before if a is not None]))
        after = list(coach.analyze_many([b for _, _, b in pairs]))
        scored_iter = iter(scored_before)
        moved = total = 0
        for (report, a, _), b_report in zip(pairs, after, strict=True):
            a_report = report if a is report.transcript else next(scored_iter)
            s0, s1 = a_report.skills[skill].score, b_report.skills[skill].score
            if s0 is None:
                continue
            total += 1
            moved += s1 is not None and (s1 - s0) * direction > 0
        results[name] = (moved, total)
    return results


def rows(data_dir: Path) -> list[dict]:
    return [{"signal": f"metamorphic: {name}", "dataset": "twcs + sample_transcripts", "metric": "moved right way",
             "value": moved / total if total else None, "target": TARGET, "n": total,
             "note": "share of edited conversations where the named skill moved the right way"}
            for name, (moved, total) in evaluate(Path(data_dir)).items()]


if __name__ == "__main__":
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared" / "data"
    for row in rows(data):
        print(f"{row['signal']:<40} {row['value']:.3f} of {row['n']}")
