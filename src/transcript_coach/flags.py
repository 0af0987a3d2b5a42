"""QA flags: the conversations a person should look at, each with a stable code, a severity and the evidence.

Each flag is a small rule below; its code, severity, reason and thresholds come from the rubric (``flags``), so a team
can retune or silence them (drop a code from the rubric) without touching code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from transcript_coach.ingest.timestamps import duration_text
from transcript_coach.model import Flag, Promise, SkillScore
from transcript_coach.scoring.conditions import Analysed
from transcript_coach.scoring.rubric import Rubric

Rule = Callable[[Analysed, Mapping[str, SkillScore], tuple[Promise, ...], Mapping[str, Any]],
                tuple[str, tuple[str, ...]] | None]


def _ids(a: Analysed, *features: str) -> tuple[str, ...]:
    return tuple(e.id for e in a.evidence if e.feature in features)


def _fired(a: Analysed, *features: str) -> tuple[str, tuple[str, ...]] | None:
    ids = _ids(a, *features)
    return ("", ids) if ids else None


def _customer_negative_at_end(a, skills, promises, spec):
    end = [e for e in a.evidence if e.feature == "tone.customer_end_sentiment"]
    if end and end[-1].value <= spec.get("threshold", -0.3):
        return f"mood {end[-1].value:+.2f} in their last message", (end[-1].id,)
    return None


def _promise_overdue(a, skills, promises, spec):
    """Commitments not kept by their due time: still open past it, or kept only after it."""
    overdue = [p for p in promises if p.status == "overdue"]
    late = _ids(a, "promise.kept_late")
    if not overdue and not late:
        return None
    said = [f"{n} {what}" for n, what in ((len(overdue), "overdue"), (len(late), "kept late")) if n]
    return ", ".join(said), tuple(i for p in overdue for i in p.evidence) + late


def _promise_vague(a, skills, promises, spec):
    if a.count("promise.vague") and not a.count("promise.specific"):
        return _fired(a, "promise.vague")
    return None


def _long_gap(a, skills, promises, spec):
    """Gaps longer than the flag's threshold for this channel (the signal's own threshold is lower: it scores)."""
    limit = spec.get("threshold", {}).get(a.transcript.channel, 0) if isinstance(spec.get("threshold"), dict) else 0
    gaps = [e for e in a.evidence if e.feature == "timing.long_gap" and e.value >= limit]
    if not gaps:
        return None
    return f"longest {duration_text(max(e.value for e in gaps))}", tuple(e.id for e in gaps)


def _at_least(a: Analysed, feature: str, threshold: int, what: str) -> tuple[str, tuple[str, ...]] | None:
    ids = _ids(a, feature)
    return (f"{len(ids)} {what}", ids) if len(ids) >= threshold else None


def _questions_unanswered(a, skills, promises, spec):
    return _at_least(a, "listening.unanswered_question", spec.get("threshold", 1), "questions")


def _unresolved(a, skills, promises, spec):
    """A refusal or a "still not fixed" that nothing put right later in the conversation (an action done, or the
    customer confirming a fix): the flag is about how it ended."""
    fixed = [e.turn for e in a.evidence if e.feature in ("resolution.action", "resolution.confirmed")]
    last_fix = max(fixed, default=-1)
    ids = tuple(e.id for e in a.evidence
                if e.feature in ("resolution.refusal", "resolution.unresolved") and e.turn >= last_fix)
    return ("", ids) if ids else None


def _low_skill(a, skills, promises, spec):
    low = {name: s for name, s in skills.items() if s.score is not None and s.score < spec.get("threshold", 35)}
    if not low:
        return None
    detail = ", ".join(f"{name.replace('_', ' ')} {s.score:.0f}" for name, s in sorted(low.items()))
    return detail, tuple(dict.fromkeys(i for s in low.values() for i in s.evidence))[:10]


def _no_human(a, skills, promises, spec):
    """The customer asked for a person (``resolution.human_request``) and no agent wrote to them after it."""
    last_agent = max((t.index for t in a.transcript.turns if t.role == "agent" and not t.internal), default=-1)
    ids = tuple(e.id for e in a.evidence if e.feature == "resolution.human_request" and e.turn > last_agent)
    return ("", ids) if ids else None


def _circumstances(a, skills, promises, spec):
    """Evidence found by a rule of the flag's ``kinds`` (the lexicon entries of illness, money trouble, a
    bereavement...), named by the kinds it shows, in the order the customer told of them."""
    kinds = spec.get("kinds", {})
    found = [e for e in a.evidence if e.rule in kinds]
    if not found:
        return None
    return ", ".join(dict.fromkeys(kinds[e.rule] for e in found)), tuple(e.id for e in found)


RULES: dict[str, Rule] = {
    "TC101": _customer_negative_at_end,
    "TC102": lambda a, s, p, spec: _fired(a, "resolution.manager_request"),
    "TC103": lambda a, s, p, spec: _fired(a, "resolution.escalation", "resolution.transfer"),
    "TC104": _promise_overdue,
    "TC105": _promise_vague,
    "TC106": lambda a, s, p, spec: _fired(a, "tone.blame", "tone.blame_others", "tone.dismissive", "tone.profanity",
                                          "tone.shouting", "tone.insensitive"),
    "TC107": _long_gap,
    "TC108": lambda a, s, p, spec: _fired(a, "listening.customer_repeat", "listening.customer_repeat_earlier",
                                          "listening.reask"),
    "TC109": _questions_unanswered,
    "TC110": _low_skill,
    "TC111": _unresolved,
    "TC113": _no_human,
    "TC114": lambda a, s, p, spec: _at_least(a, "tone.language_unadapted", spec.get("threshold", 1), "idioms or slang"),
    "TC115": lambda a, s, p, spec: _fired(a, "tone.customer_vulnerable"),
    "TC116": _circumstances,
    "TC117": lambda a, s, p, spec: _fired(a, "structure.sensitive_request"),
    "TC118": lambda a, s, p, spec: _fired(a, "tone.customer_abuse"),
    "TC119": lambda a, s, p, spec: _fired(a, "tone.customer_churn"),
    "TC120": lambda a, s, p, spec: _fired(a, "tone.customer_legal"),
}


def raise_flags(analysed: Analysed, skills: Mapping[str, SkillScore], promises: Iterable[Promise],
                rubric: Rubric) -> tuple[Flag, ...]:
    """Every flag of the rubric whose rule fires, in code order."""
    promises = tuple(promises)
    flags = []
    for code in sorted(rubric.flags):
        rule = RULES.get(code)
        if rule is None:
            continue
        spec = rubric.flags[code]
        fired = rule(analysed, skills, promises, spec)
        if fired is None:
            continue
        detail, evidence = fired
        reason = spec["reason"] + (f" ({detail})" if detail else "")
        flags.append(Flag(code=code, severity=spec["severity"], reason=reason, evidence=evidence))
    return tuple(flags)


def language_flag(code: str, rubric: Rubric) -> tuple[Flag, ...]:
    """The flag for a conversation that could not be scored because of its language."""
    spec = rubric.flags.get("TC112")
    if spec is None:
        return ()
    return (Flag(code="TC112", severity=spec["severity"], reason=f"{spec['reason']} (detected '{code}')"),)
