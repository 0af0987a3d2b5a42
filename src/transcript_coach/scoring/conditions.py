"""When a skill can be judged from one conversation: named conditions the rubric refers to.

Each condition is a plain function of the analysed conversation that returns ``None`` when it holds, or the reason it
does not (which becomes the skill's ``null`` reason). The rubric lists condition names; the logic stays here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from transcript_coach.model import Evidence, Transcript


@dataclass(frozen=True, slots=True)
class Analysed:
    """What scoring sees of one conversation; ``settings`` are the rubric's condition thresholds."""

    transcript: Transcript
    evidence: tuple[Evidence, ...]
    features: Mapping[str, float]
    settings: Mapping[str, float] = field(default_factory=dict)
    # the evidence ids behind a feature no evidence item carries ("promise.overdue": the commitments not kept)
    cited: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def count(self, prefix: str) -> float:
        """How many evidence items fired for a feature, or for a whole family with ``family.*``."""
        if prefix.endswith(".*"):
            head = prefix[:-1]
            return sum(v for k, v in self.features.items() if k.startswith(head) and k.count(".") == 1)
        return self.features.get(prefix, 0.0)


Condition = Callable[[Analysed], str | None]


def _agent(a: Analysed) -> str | None:
    return None if a.transcript.has_role("agent") else "no human agent replied in this conversation"


def _customer(a: Analysed) -> str | None:
    return None if a.transcript.has_role("customer") else "the customer's side is missing (one-sided conversation)"


def _timestamps(a: Analysed) -> str | None:
    stamped = sum(1 for t in a.transcript.turns if t.timestamp is not None and not t.internal)
    return None if stamped >= 2 else "the transcript has no timestamps to measure response times"


_CUSTOMER_DISTRESS = ("tone.customer_emotion", "tone.customer_shouting", "tone.customer_profanity",
                      "tone.customer_abuse", "resolution.manager_request", "listening.customer_repeat")


_PROBLEM = ("tone.customer_problem", "tone.customer_circumstances")  # hardship, illness: empathy is called for


def _customer_low(a: Analysed, key: str) -> bool:
    lowest = a.features.get("tone.customer_sentiment.min")
    return lowest is not None and lowest <= a.settings.get(key, -0.5)


def _upset(a: Analysed) -> str | None:
    if _customer_low(a, "upset_sentiment") or any(a.count(name) for name in _CUSTOMER_DISTRESS + _PROBLEM):
        return None
    return "the customer expressed no problem or feeling that called for empathy"


def _frustration(a: Analysed) -> str | None:
    if _customer_low(a, "frustrated_sentiment") or any(a.count(name) for name in _CUSTOMER_DISTRESS):
        return None
    return "the customer showed no frustration or disagreement, so there was no conflict to resolve"


_HANDOFFS = ("resolution.transfer", "resolution.escalation", "resolution.warm_handoff", "resolution.cold_transfer",
             "resolution.consult", "tone.blame_others")  # blaming a colleague shows how the agent works with them


def _handoff(a: Analysed) -> str | None:
    internal = any(t.internal for t in a.transcript.turns)
    system = any(t.role == "system" for t in a.transcript.turns)
    bot = a.transcript.has_role("bot") and a.transcript.has_role("agent")  # a bot handing over to a person
    if len(a.transcript.agents) > 1 or internal or system or bot or any(a.count(f) for f in _HANDOFFS):
        return None
    return ("no handoff, transfer, escalation, colleague consulted, bot handover or internal note: teamwork is not "
            "visible here")


def _manager_asked_after_a_reply(a: Analysed) -> str | None:
    """A request for a manager after an agent had replied (one in the opening message came before the agent could do
    anything)."""
    first_reply = next((t.index for t in a.transcript.turns if t.role == "agent" and not t.internal), None)
    if first_reply is not None and any(e.feature == "resolution.manager_request" and e.turn > first_reply
                                       for e in a.evidence):
        return None
    return "the customer asked for a manager before any reply"


def _history(a: Analysed) -> str | None:
    return ("continuous learning shows only across an agent's conversations over time: see "
            "'transcript-coach agents'")


def _knowledge_question(a: Analysed) -> str | None:
    if a.count("knowledge.*") or a.count("resolution.steps") or a.count("resolution.cause"):
        return None
    return "the agent gave no product or procedure information to judge"


CONDITIONS: dict[str, Condition] = {
    "agent": _agent,
    "customer": _customer,
    "timestamps": _timestamps,
    "frustration": _frustration,
    "upset": _upset,
    "handoff": _handoff,
    "manager_asked_after_a_reply": _manager_asked_after_a_reply,
    "history": _history,
    "product_information": _knowledge_question,
}
