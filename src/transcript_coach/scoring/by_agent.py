"""Per-agent scores in a conversation that several agents handled: ``metrics.by_agent``.

A transferred chat, an escalation, a specialist called in: each agent is scored on their own part, so that the agent
who answered late and transferred coldly is not credited with the specialist's fix, nor the specialist blamed for the
wait. Every turn belongs to one agent (``turn_owners``): an agent's own turns, internal notes included, to them; any
other turn (the customer's, a bot's, a system line, a note by someone who never wrote to the customer) to the agent
who last wrote to the customer before it, or, before any did, to the first who does. An agent's part is the evidence
on the turns they own and the promises they made there, and, from earlier parts, what the customer said of their
problem and feelings (``CARRIED``: an agent who takes over a customer's double charge takes over the call for empathy
too; what the customer did because of the earlier agent, repeating themselves, asking for a manager, stays with that
agent). It is scored by the same rubric as the whole conversation (a trained skill model, ``--model``, scores only
the whole). Only agents who wrote to the customer count: with fewer than two
there is no breakdown. The conversation's own scores, notes and flags are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from transcript_coach.features import vectorize
from transcript_coach.model import Evidence, Promise, Transcript
from transcript_coach.scoring.conditions import Analysed
from transcript_coach.scoring.rubric import Rubric, score_skill

CARRIED = ("tone.customer_problem", "tone.customer_emotion")  # still the next agent's to answer


def customer_facing_agents(transcript: Transcript) -> tuple[str, ...]:
    """The named agents who wrote to the customer (not only internal notes), in order of their first turn."""
    return tuple(dict.fromkeys(t.speaker for t in transcript.turns
                               if t.role == "agent" and not t.internal and t.speaker))


def turn_owners(transcript: Transcript) -> dict[int, str]:
    """Turn index -> the agent whose part of the conversation it is (see the module docstring)."""
    agents = frozenset(customer_facing_agents(transcript))
    owners: dict[int, str] = {}
    current: str | None = None
    waiting: list[int] = []  # turns before any agent wrote to the customer
    for turn in transcript.turns:
        if turn.role == "agent" and turn.speaker in agents:
            owners[turn.index] = turn.speaker
            if not turn.internal:
                current = turn.speaker
                owners.update(dict.fromkeys(waiting, current))
                waiting.clear()
        elif current is None:
            waiting.append(turn.index)
        else:
            owners[turn.index] = current
    return owners


def score_by_agent(transcript: Transcript, evidence: Iterable[Evidence], promises: Iterable[Promise],
                   rubric: Rubric, ledger_features: Callable[[Iterable[Promise]], Mapping[str, float]]
                   ) -> dict[str, dict[str, Any]] | None:
    """``{agent: {"turns": n, "skills": {skill: {"score", "reason"}}}}`` for two or more agents, else None.
    ``ledger_features``: what an agent's promises add to their features (the overdue count)."""
    agents = customer_facing_agents(transcript)
    if len(agents) < 2:
        return None
    owners = turn_owners(transcript)
    evidence, promises = tuple(evidence), tuple(promises)
    out: dict[str, dict[str, Any]] = {}
    for agent in agents:
        first = min(turn for turn, owner in owners.items() if owner == agent)
        mine = tuple(e for e in evidence
                     if owners.get(e.turn) == agent or (e.turn < first and e.feature in CARRIED))
        features = {**vectorize(mine), **ledger_features(p for p in promises if owners.get(p.turn) == agent)}
        analysed = Analysed(transcript, mine, features, rubric.conditions)
        skills = {skill: score_skill(spec, analysed) for skill, spec in rubric.skills.items()}
        out[agent] = {
            "turns": sum(1 for t in transcript.turns if t.role == "agent" and not t.internal and t.speaker == agent),
            "skills": {skill: {"score": s.score, "reason": s.reason} for skill, s in skills.items()},
        }
    return out
