"""Who said it: speaker labels, rosters and cue phrases to agent / customer / bot / system.

Order of evidence, strongest first: the role the format states; the ``--agents`` roster, ``--agent-pattern`` and
``--agent-domain``; role words in the label (``Agent (Tom)``, ``Sarah (Support)``, ``Bot``); the same speaker's role
elsewhere in the conversation; and last, phrases typical of each side. Every guess made from the last two is reported
as a warning that says how to state the roles instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from transcript_coach.data import load_json
from transcript_coach.errors import DataFileError
from transcript_coach.model import ROLES, Role

_OPENING, _CLOSING = "([{<", ")]}>"
_SEPARATED = re.compile(r"^(?P<a>.+?)\s*(?:\s[-–—|/]\s|,\s*)\s*(?P<b>.+)$")
_SPACES = re.compile(r"\s+")
_ANONYMOUS = re.compile(r"^[#\d\s_-]+$")


@dataclass(frozen=True, slots=True)
class Lexicon:
    labels: dict[str, Role]
    internal: frozenset[str]
    agent_cues: tuple[str, ...]
    customer_cues: tuple[str, ...]
    longest: int


@functools.cache
def lexicon() -> Lexicon:
    data = load_json("roles.json")
    try:
        labels: dict[str, Role] = {}
        for role, words in data["labels"].items():
            if role not in ROLES:
                raise DataFileError(f"roles.json: labels.{role}: unknown role (expected one of {', '.join(ROLES)})")
            for word in words:
                labels[_norm(word)] = role
        internal = frozenset(_norm(w) for w in data["internal_labels"])
        agent_cues = tuple(_norm(c) for c in data["agent_cues"])
        customer_cues = tuple(_norm(c) for c in data["customer_cues"])
    except (KeyError, TypeError, AttributeError) as exc:
        raise DataFileError(f"roles.json: missing or malformed key {exc}") from None
    longest = max(len(k.split()) for k in labels)
    return Lexicon(labels, internal, agent_cues, customer_cues, longest)


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.strip().casefold().replace("’", "'"))


@dataclass(frozen=True, slots=True)
class Label:
    """A speaker label taken apart: the role its words state (if any), the person's name, an internal marker."""

    role: Role | None
    name: str
    internal: bool = False


@functools.lru_cache(maxsize=65536)
def parse_label(label: str) -> Label:
    """``"Agent (Tom)"`` -> agent Tom; ``"Sarah (Support)"`` -> agent Sarah; ``"Dana"`` -> no role, Dana."""
    lex = lexicon()
    text = _SPACES.sub(" ", label.strip())
    role = lex.labels.get(_norm(text))
    if role is not None:
        return Label(role, text)
    internal = False
    bracketed = _bracketed(text)
    if bracketed and bracketed[1]:
        outer = (bracketed[0] + " " + bracketed[2]).strip()
        inner = bracketed[1]
        inner_role, outer_role = lex.labels.get(_norm(inner)), lex.labels.get(_norm(outer))
        if _norm(inner) in lex.internal:
            parsed = parse_label(outer) if outer else Label(None, text)
            return Label(parsed.role or "agent", parsed.name, True)
        if inner_role is not None and outer:
            return Label(inner_role, outer, internal)
        if outer_role is not None and inner:
            named = parse_label(inner)  # "Agent (Support - Kim)": Kim
            return Label(outer_role, named.name if named.role in (None, outer_role) and named.name else inner, internal)
    separated = _SEPARATED.match(text)
    if separated:
        a, b = separated["a"], separated["b"]
        if lex.labels.get(_norm(b)) is not None:
            return Label(lex.labels[_norm(b)], a)
        if lex.labels.get(_norm(a)) is not None:
            return Label(lex.labels[_norm(a)], b)
    return _label_from_words(text, lex)


def _bracketed(text: str) -> tuple[str, str, str] | None:
    """``"Agent (Tom) x"`` -> ``("Agent", "Tom", "x")``: the text around and inside the first bracket that is closed
    later; None without one. (A loop rather than a regular expression: lazy groups around the brackets backtrack
    quadratically on a long run of opening brackets.)"""
    start = next((i for i, ch in enumerate(text) if ch in _OPENING), None)
    if start is None:
        return None
    end = next((j for j in range(start + 1, len(text)) if text[j] in _CLOSING), None)
    if end is None:
        return None
    return text[:start].rstrip(), text[start + 1:end].strip(), text[end + 1:].lstrip()


# When a label holds words of several roles, the first role here wins: "Support Bot" is a bot, "Customer Success"
# and "Client Support" are agents (teams), "Customer Dana" is a customer.
_PRECEDENCE: tuple[Role, ...] = ("bot", "agent", "system", "customer")


def _label_from_words(text: str, lex: Lexicon) -> Label:
    words = text.split(" ")
    norms = [_norm(w) for w in words]
    found: dict[Role, tuple[int, int]] = {}
    for n in range(min(lex.longest, len(words)), 0, -1):
        for i in range(len(words) - n + 1):
            role = lex.labels.get(" ".join(norms[i:i + n]))
            if role is not None and role not in found:
                found[role] = (i, i + n)
    for role in _PRECEDENCE:
        if role in found:
            start, end = found[role]
            if start == 0 and end < len(words) and len(found) == 1:  # "Agent Tom" -> Tom
                tail = " ".join(words[end:])
                return Label(role, text if _ANONYMOUS.match(tail) else tail)  # "Visitor 4821" keeps its number
            return Label(role, text)
    return Label(None, text)


def cue_score(texts: Sequence[str]) -> int:
    """Agent-like phrases minus customer-like phrases over a speaker's messages."""
    lex = lexicon()
    score = 0
    for text in texts:
        lowered = _norm(text)
        score += sum(cue in lowered for cue in lex.agent_cues)
        score -= sum(cue in lowered for cue in lex.customer_cues)
    return score


def _in_roster(name: str, roster: Sequence[str]) -> bool:
    key = _norm(name)
    first = key.split(" ")[0] if key else key
    return any(_norm(member) in (key, first) for member in roster)


def _domain(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip().strip(">").casefold()


def _matches_domain(domain: str, domains: Sequence[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in (x.casefold().lstrip("@") for x in domains))


def resolve_roles(
    turns, options, *, extra_agents: Sequence[str] = ()
) -> tuple[list[tuple[Role, str | None, bool]], list[str]]:
    """The (role, speaker name, internal) of each raw turn, and warnings for every role that had to be guessed."""
    labels = [parse_label(t.label) if t.label else None for t in turns]
    names = [lab.name if lab else None for lab in labels]
    speakers = {n for n in names if n} | {t.address for t in turns if t.address}
    warnings: list[str] = []
    if options.agents and not any(_in_roster(n, options.agents) for n in speakers):
        warnings.append(f"roles: none of the agents named with --agents ({', '.join(options.agents)}) speaks here")
    # Agents the file itself declares count only if they speak: a stray header or NOTE line must not make
    # every speaker a customer.
    roster = tuple(options.agents) + tuple(a for a in extra_agents if any(_in_roster(n, (a,)) for n in speakers))
    pattern = options.agent_pattern
    pattern_hit = pattern is not None and any(pattern.search(s) for s in speakers | {t.label for t in turns if t.label})
    if pattern is not None and not pattern_hit and speakers:
        warnings.append(f"roles: --agent-pattern {pattern.pattern!r} matches no speaker here")
    roster_hit = any(_in_roster(n, roster) for n in speakers)
    closed = roster_hit or pattern_hit  # the agents are named: every other unlabelled speaker is a customer
    roles: list[Role | None] = []
    for turn, lab, name in zip(turns, labels, names, strict=True):
        roles.append(_stated_role(turn, lab, name, roster, options, closed))

    # The same speaker keeps one role across the conversation; so do the people writing from one e-mail address (a
    # shared mailbox: "Graham Pike" and "Priya Shah" at billing@) and those labelled with one organisation.
    keys = [_speaker_key(t, n) for t, n in zip(turns, names, strict=True)]
    by_name: dict[str, Role] = {}
    for key, role in zip(keys, roles, strict=True):
        if key and role in ("agent", "customer") and key not in by_name:
            by_name[key] = role
    roles = [r if r is not None or not k else by_name.get(k) for r, k in zip(roles, keys, strict=True)]

    unknown = list(dict.fromkeys(k for k, r in zip(keys, roles, strict=True) if r is None and k))
    if unknown:
        display: dict[str, list[str]] = {}
        for key, name in zip(keys, names, strict=True):
            if key and name and name not in display.setdefault(key, []):
                display[key].append(name)
        texts = {key: [t.text for t, k in zip(turns, keys, strict=True) if k == key] for key in unknown}
        scores = {key: cue_score(texts[key]) for key in unknown}
        known = set(by_name.values())
        guessed = _guess(unknown, scores, known)
        for key in unknown:
            role, why = guessed[key]
            by_name[key] = role
            who = display[key]
            shared = "one e-mail address" if key.startswith("address:") else "one organisation"
            speaker = (f"speaker {who[0]!r} has" if len(who) == 1 else
                       f"speakers {' and '.join(map(repr, who))} ({shared}) have")
            warnings.append(f"roles: {speaker} no role label; taken as {role} ({why}). "
                            "Name the agents with --agents or --agent-pattern to be sure.")
        roles = [r if r is not None or not k else by_name[k] for r, k in zip(roles, keys, strict=True)]
    internal = [t.internal or bool(lab and lab.internal) for t, lab in zip(turns, labels, strict=True)]
    final = [(r or "customer", n, i) for r, n, i in zip(roles, names, internal, strict=True)]
    if any(r is None for r in roles):
        warnings.append("roles: some messages have no speaker; taken as the customer's")
    return final, warnings


def _speaker_key(turn, name: str | None) -> str | None:
    """Who a named turn is from, for keeping one role per speaker (or side): its e-mail address when known, else the
    organisation its label names in brackets (colleagues "Luca (Arbor Homes)" and "Priya (Arbor Homes)" are one
    side), else its name."""
    if not name:
        return None
    if turn.address:
        return "address:" + turn.address.strip().casefold()
    bracketed = _bracketed(name)  # "Luca (Arbor Homes)", "Ade [ParcelPal]": a name, then who they are with
    if bracketed and bracketed[0] and bracketed[1] and not bracketed[2]:
        return "with:" + _norm(bracketed[1])
    return _norm(name)


def _stated_role(turn, lab: Label | None, name: str | None, roster, options, closed: bool) -> Role | None:
    if turn.internal or (lab is not None and lab.internal):
        return turn.role or "agent"
    if turn.role is not None:
        return turn.role
    if name and roster and _in_roster(name, roster):
        return "agent"
    if options.agent_pattern is not None and turn.label and options.agent_pattern.search(turn.label):
        return "agent"
    domain = _domain(turn.address)
    if domain and options.agent_domains:
        return "agent" if _matches_domain(domain, options.agent_domains) else "customer"
    if lab is not None and lab.role is not None:
        return lab.role
    if name and closed:
        return "customer"  # a roster names every agent: an unlabelled speaker outside it is the customer
    return None


def _guess(unknown: list[str], scores: dict[str, int], known: set[str]) -> dict[str, tuple[Role, str]]:
    if "agent" in known and "customer" not in known:
        guessed = {k: ("agent", "its messages read like an agent's") if scores[k] > 0
                   else ("customer", "the other speakers are labelled agents") for k in unknown}
        if all(role == "agent" for role, _ in guessed.values()):  # someone must be the customer
            guessed[min(unknown, key=lambda k: scores[k])] = ("customer", "the other speakers are labelled agents")
        return guessed
    if "customer" in known and "agent" not in known:
        guessed = {k: ("customer", "its messages read like a customer's") if scores[k] < 0
                   else ("agent", "the other speaker is labelled customer") for k in unknown}
        if all(role == "customer" for role, _ in guessed.values()):  # someone must be the agent
            guessed[max(unknown, key=lambda k: scores[k])] = ("agent", "the other speaker is labelled customer")
        return guessed
    if known:
        return {k: ("agent", "its messages read like an agent's") if scores[k] > 0
                else ("customer", "its messages do not read like an agent's") for k in unknown}
    ranked = sorted(unknown, key=lambda k: -scores[k])
    if len(unknown) == 1:
        key = unknown[0]
        if scores[key] > 0:
            return {key: ("agent", "the only speaker, and its messages read like an agent's")}
        return {key: ("customer", "the only speaker, and its messages do not read like an agent's")}
    top = ranked[0]
    if scores[top] > scores[ranked[1]]:
        return {k: ("agent", "its messages read most like an agent's") if k == top
                else ("customer", "another speaker reads more like the agent") for k in unknown}
    first = unknown[0]
    return {k: ("customer", "nothing tells the roles apart; the first speaker is taken as the customer") if k == first
            else ("agent", "nothing tells the roles apart; the first speaker is taken as the customer")
            for k in unknown}
