"""Coaching notes: the agent's clearest strengths and the changes that would matter most, each quoting the
conversation; improvements come with a better phrasing that fits this conversation.

Which skills get a note follows from the scores (strongest and weakest first); what the note quotes follows from the
contribution that moved the score most (for a strength, the agent's strongest evidence of it); the suggested phrasing
comes from templates in the rubric (``coaching``), filled with this conversation's own words: the jargon term's plain
word, the customer's name, their problem.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Mapping

from transcript_coach.data import load_json
from transcript_coach.ingest.timestamps import duration_text
from transcript_coach.model import Evidence, Note, SkillScore
from transcript_coach.scoring.conditions import Analysed
from transcript_coach.scoring.rubric import Contribution, Rubric, contributions

MAX_NOTES = 3
CLEARLY_NEGATIVE = -0.5  # a sentence score (sentiment, politeness) low enough to quote as the problem
_NOTE_MIN_POINTS = 0.5  # a cost that rounds to "-0" in the score's reason is no thing to improve
CLEARLY_POSITIVE = 0.5  # and one high enough to quote as a strength, if it says something, over a higher "Thanks."
_QUOTE_CHARS = 160
_QUOTE_MIN_WORDS = 5  # a strength quotes, of equally strong evidence, the first sentence at least this long
_ISSUE_WORDS = 14  # the most words of the customer's problem a suggestion repeats
_ASKED_WORDS = 25  # the most words of an agent's sentence a suggestion rewrites as a request
_FIRST_TO_SECOND = {
    "i": "you", "i'm": "you're", "im": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll", "me": "you",
    "my": "your", "mine": "yours", "myself": "yourself", "we": "you", "we're": "you're", "we've": "you've",
    "our": "your", "us": "you",
}
_I_VERB = re.compile(r"\b[Ii] (am|was)\b")
_GENERIC_NAMES = frozenset({"customer", "caller", "user", "client", "visitor", "guest", "member", "contact"})
_ROLE_NAMES = _GENERIC_NAMES | {"agent", "rep", "advisor", "adviser", "support", "team", "bot", "assistant"}
# a hello or filler before the customer's problem ("Hi, some websites won't load"): not part of the issue
_OPENER = re.compile(r"^(?:(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|ok|okay|so|well|um|erm)"
                     r"(?: there)?\b[,!.]*\s+)+", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z']+|[^A-Za-z']+")
_ASIDE = re.compile(r"\s*\([^()]*\)")  # "(return label RT-55821)": a detail, not the problem
# where a clause with its own subject starts: "... and I still haven't had my refund", not "a controller and headset"
_CLAUSES = re.compile(r"(?:,?\s+(?:and|but|so)\s+|;\s*|\s+-\s+)"
                      r"(?=(?:i|i'm|i've|we|it|it's|they|this|that|my|our|the|there)\s)", re.IGNORECASE)
# a softener at the end of the customer's sentence ("I'm not very good with computers I'm afraid", "... please"): no
# part of the issue
_SOFTENER = re.compile(r",?\s*\b(?:(?:I'm|I am|Im|I’m) afraid|please)$", re.IGNORECASE)
# cues of a feeling whose sentence says nothing of the problem: "Thanks for nothing.", "???"
_NO_ISSUE = ("#emotion.sarcasm", "#emotion.shout")
# a request for help, not the problem itself ("can someone help quickly please", "Please fix this?")
_REQUEST = re.compile(r"(?:please|help|(?:can|could|would|will) (?:you|u|someone|somebody|anyone|anybody))\b|.*\?\W*$",
                      re.IGNORECASE)

Plain = Callable[[str], str | None]


def write_notes(analysed: Analysed, skills: Mapping[str, SkillScore], rubric: Rubric,
                plain: Plain = lambda term: None) -> tuple[Note, ...]:
    """Up to three strengths and three improvements for the agent in this conversation: the improvements of the low
    skills, then of the weakest fair skills with a fault to quote, until there are two; a fault that costs several
    skills is said once, by the skill it costs most."""
    scored = [(name, s.score) for name, s in skills.items() if s.score is not None]
    strong = sorted((x for x in scored if rubric.band(x[1]) == "strong"), key=lambda x: -x[1])
    weak = sorted((x for x in scored if rubric.band(x[1]) == "low"), key=lambda x: x[1])
    fair = sorted((x for x in scored if rubric.band(x[1]) == "fair"), key=lambda x: x[1])
    notes: list[Note] = []
    quoted: set[str] = set()
    faulty = _faulty_sentences(analysed, rubric) if strong else frozenset()
    for name, _ in strong:
        note = _strength(name, analysed, rubric, faulty, frozenset(quoted))
        if note is not None and len([n for n in notes if n.kind == "strength"]) < MAX_NOTES:
            notes.append(note)
            quoted.update(_sentence(e, analysed) for e in analysed.evidence if e.id in note.evidence)
    faults = {name: [(part, evidence, _fault(part, evidence, analysed))
                     for part, evidence in _faults(name, analysed, rubric)] for name, _ in weak + fair}
    owners: dict[tuple[str, str], tuple[float, str]] = {}  # a fault -> the skill it costs most, and how much
    for name, found in faults.items():
        for part, _, fault in found:
            if fault not in owners or part.points < owners[fault][0]:
                owners[fault] = (part.points, name)
    improvements = 0
    for name, score in weak + fair:
        if improvements >= MAX_NOTES or (improvements >= 2 and rubric.band(score) == "fair"):
            break  # fewer than two clear weaknesses: the weakest fair skills with a fault to show are next
        # a fault in one note, of the skill it cost most: "Hi hun!" costs professionalism 12, cultural sensitivity 10
        mine = next(((part, evidence) for part, evidence, fault in faults[name] if owners[fault][1] == name), None)
        if mine is not None:
            notes.append(_improvement(name, *mine, analysed, rubric, plain))
            improvements += 1
    return tuple(notes)


_SENTENCES = ("tone.agent_sentiment", "tone.customer_sentiment")
_SECONDS = "timing."  # evidence valued in seconds of waiting: the longest is quoted as a fault
_WAITS = ("timing.first_response", "timing.reply_latency", "timing.long_gap")  # their value is what was waited


def _sentence(e: Evidence, analysed: Analysed) -> str:
    """The whole sentence an evidence span sits in (sentence-level evidence marks sentences), else the span. The
    evidence is in extraction order (by turn, then position), so the sentence is found by bisection and a short walk
    back through the same turn, not a pass over every item of a long conversation."""
    evidence = analysed.evidence
    k = bisect.bisect_right(evidence, (e.turn, e.start), key=lambda x: (x.turn, x.start))
    while k > 0:
        k -= 1
        other = evidence[k]
        if other.turn != e.turn:
            break
        if other.feature in _SENTENCES:
            if e.end <= other.end:
                return other.text
            if other.end <= e.start:
                break  # a sentence before this one: none earlier can hold it
    return e.text


def _quote(e: Evidence, analysed: Analysed) -> str:
    text = " ".join(_sentence(e, analysed).split())
    if len(text) > _QUOTE_CHARS:
        text = text[: _QUOTE_CHARS - 1].rstrip() + "…"
    turn = analysed.transcript.turns[e.turn]
    who = turn.speaker or turn.role
    waited = f", after {duration_text(e.value)}" if e.feature in _WAITS else ""  # a reply quoted for its timing
    return f"“{text}” ({who}, turn {e.turn + 1}{waited})"


def _first(analysed: Analysed, feature: str, *, lowest: bool = False, highest: bool = False, telling: bool = False,
           agent: bool = False, besides: frozenset[str] = frozenset()) -> Evidence | None:
    """The first evidence of a feature, or the one of lowest or highest value: the worst sentence, the longest
    wait, the agent's strongest evidence rather than a closing wish. Of equals, the first; for the highest, the first
    whose sentence says something ("Here's the fix:" is a heading of what follows), and of a sentence score, the
    highest that says something among those at least ``CLEARLY_POSITIVE`` ("Thanks." is polite, and says nothing).
    ``telling``: the first whose sentence says something, whatever its value ("Thanks for waiting." after the slowest
    reply shows no pace).
    Neither quotes a greeting or a sign-off when there is something else ("Best regards, Priya Shah" or "Best,
    Priti" is warm words, not warmth), except of a wait (a reply's first words stand for it). ``agent``: the agent's
    evidence only; ``besides``: not evidence in these sentences (quoted already)."""
    turns = analysed.transcript.turns
    found = [e for e in analysed.evidence if e.feature == feature and (not agent or turns[e.turn].role == "agent")
             and not (besides and _sentence(e, analysed) in besides)]
    if not found:
        return None
    if lowest:
        return min(found, key=lambda e: e.value)
    if (highest or telling) and feature not in _FORMULAS and not feature.startswith(_SECONDS):
        formulas = _sentences_with(analysed, lambda f: f in _FORMULAS)
        found = [e for e in found if _sentence(e, analysed) not in formulas and not _signed(e, analysed)] or found
    if highest:
        if not feature.startswith(_SECONDS):  # of the clearly good, one that says something ("Thanks." says nothing)
            found = [e for e in found if e.value >= CLEARLY_POSITIVE and _says_something(e, analysed)] or found
        return max(found, key=lambda e: (e.value, _says_something(e, analysed)))
    if telling:
        return next((e for e in found if _says_something(e, analysed)), found[0])
    return found[0]


def _says_something(e: Evidence, analysed: Analysed) -> bool:
    return len(_sentence(e, analysed).split()) >= _QUOTE_MIN_WORDS


_FORMULAS = ("structure.greeting", "structure.farewell")  # a hello or a sign-off says nothing of a skill
# scores of every agent sentence: a greeting or a few words scored well show no skill, even as a last resort
_SENTENCE_SCORES = ("tone.politeness", "tone.agent_sentiment")
_NAME_REUSE = "reuse:name"  # the rule of listening.detail_reuse for the customer's name: manners more than listening


def _sentences_with(analysed: Analysed, wanted: Callable[[str], bool]) -> frozenset[str]:
    """The sentences that hold evidence of a feature ``wanted`` accepts."""
    return frozenset(_sentence(e, analysed) for e in analysed.evidence if wanted(e.feature))


def _strength(skill: str, analysed: Analysed, rubric: Rubric, faulty: frozenset[str],
              quoted: frozenset[str] = frozenset()) -> Note | None:
    """A strength of ``skill``: the agent's strongest evidence of its largest positive contribution, in a sentence
    not ``quoted`` by another note if one will do, never one of the ``faulty`` sentences, with a fault that costs
    points ("Yes, 100% guaranteed, don't worry about it" reassures, and overpromises), and not a greeting, a sign-off
    or the customer's name used again ("You're welcome, Leo." is no proof of listening) while another contribution
    has something better."""
    spec = rubric.skills[skill]
    positive = sorted((p for p in contributions(spec, analysed) if p.points > 0 and not p.signal.missing),
                      key=lambda p: -p.points)
    formulas: frozenset[str] | None = None
    fallback: Evidence | None = None  # "Best wishes, Priya Raman", "Hi Leo, I'm Kenji.": if nothing else will do
    for besides in (quoted, frozenset()) if quoted else (quoted,):
        for part in positive:
            pace = part.signal.base_feature.startswith(_SECONDS)  # a reply in good time, not the slowest
            evidence = _first(analysed, part.signal.base_feature, highest=not pace, telling=pace, agent=True,
                              besides=besides | faulty)
            if evidence is None:
                continue
            if part.signal.base_feature in _FORMULAS:
                formulaic = _signed(evidence, analysed)  # a sign-off with a name: warm words of no one in particular
            else:  # a name in "Hi Leo, I'm Kenji." or "You're welcome, Leo.": a formula, not listening
                formulas = _sentences_with(analysed, _FORMULAS.__contains__) if formulas is None else formulas
                formulaic = _sentence(evidence, analysed) in formulas or evidence.rule == _NAME_REUSE
                if evidence.feature in _SENTENCE_SCORES and (formulaic or not _says_something(evidence, analysed)):
                    continue  # "Hi Omar!", "Anything else?", "Thanks Grace.": nothing of the skill to quote
            if formulaic:
                fallback = fallback or evidence
                continue
            return _strength_note(skill, spec, evidence, analysed)
    return _strength_note(skill, spec, fallback, analysed) if fallback is not None else None


def _template(spec, kind: str, feature: str) -> str:
    """The skill's note template of ``kind`` ("strength", "improvement") for evidence of ``feature``: its own
    ("improvement:tone.language_unadapted") if the rubric has one, else the skill's."""
    return spec.notes.get(f"{kind}:{feature}", spec.notes.get(kind, "{quote}"))


def _strength_note(skill: str, spec, evidence: Evidence, analysed: Analysed) -> Note:
    template = _template(spec, "strength", evidence.feature)
    return Note(skill=skill, kind="strength", text=template.format(quote=_quote(evidence, analysed)),
                evidence=(evidence.id,))


def _signed(e: Evidence, analysed: Analysed) -> bool:
    """Whether the evidence's sentence holds its speaker's own name as written: a sign-off ("Kind regards, Jonas"). A
    label that names a role ("Agent") names nobody: "Let me get an agent" is no signature."""
    speaker = analysed.transcript.turns[e.turn].speaker or ""
    names = [part for part in speaker.split() if len(part) > 1 and part.casefold() not in _ROLE_NAMES]
    words = set(_WORD.findall(_sentence(e, analysed)))
    return any(name in words for name in names)


def _fault(part: Contribution, evidence: Evidence, analysed: Analysed) -> tuple[str, str]:
    """What a note of this contribution would be about: the sentence it quotes, and the kind of fault it is (a wait
    and a vague commitment in one sentence are two faults)."""
    return _sentence(evidence, analysed), part.signal.base_feature


def _faults(skill: str, analysed: Analysed, rubric: Rubric) -> list[tuple[Contribution, Evidence]]:
    """What cost ``skill`` enough points to be worth a note, the most costly first, with the words it is about."""
    negative = sorted((p for p in contributions(rubric.skills[skill], analysed) if p.points <= -_NOTE_MIN_POINTS),
                      key=lambda p: p.points)
    return [(part, evidence) for part in negative if (evidence := _evidence_for(part, analysed)) is not None]


def _improvement(skill: str, part: Contribution, evidence: Evidence, analysed: Analysed, rubric: Rubric,
                 plain: Plain) -> Note:
    template = _template(rubric.skills[skill], "improvement", part.signal.base_feature)
    return Note(skill=skill, kind="improvement", text=template.format(quote=_quote(evidence, analysed)),
                suggestion=_suggest(part, evidence, analysed, rubric, plain), evidence=(evidence.id,))


def _evidence_for(part: Contribution, analysed: Analysed) -> Evidence | None:
    """The words a negative contribution is about: the evidence itself, or for something missing, the customer's
    words that called for it."""
    if part.signal.missing:
        return _customer_trouble(analysed)
    if part.signal.feature.endswith((".mean", ".min")):  # a low average: quote the worst sentence, if clearly bad
        worst = _first(analysed, part.signal.base_feature, lowest=True, besides=_trouble_sentences(analysed))
        return worst if worst is not None and worst.value <= CLEARLY_NEGATIVE else None
    found = _first(analysed, part.signal.base_feature, highest=part.signal.base_feature.startswith(_SECONDS))
    cited = analysed.cited.get(part.signal.base_feature, ())
    return found if found is not None or not cited else next(e for e in analysed.evidence if e.id == cited[0])


def _faulty_sentences(analysed: Analysed, rubric: Rubric) -> frozenset[str]:
    """Sentences with evidence that costs some skill points ("I'm not 100% sure though, it might depend on the
    network" reads polite, and is a hedge): no strength quotes one. A wait is no fault of the words that end it."""
    costly = {signal.base_feature for spec in rubric.skills.values() for signal in spec.signals
              if signal.weight < 0 and not signal.missing and not signal.base_feature.startswith(_SECONDS)}
    return _sentences_with(analysed, costly.__contains__)


def _trouble_sentences(analysed: Analysed) -> frozenset[str]:
    """Sentences with empathy in them ("I'm sorry, a leak through the ceiling is stressful") or the cause explained
    ("the refund was never released because the return was attached to the wrong order line"): they name the
    trouble, so they read negative, and they are what the agent should say, not a tone to correct."""
    return _sentences_with(analysed, lambda f: (f.startswith("empathy.") and f != "empathy.responsive")
                           or f == "resolution.cause")


def _customer_trouble(analysed: Analysed, problem_first: bool = False) -> Evidence | None:
    """The customer's clearest statement of a feeling, of hard circumstances or of a problem (``problem_first``: of
    the problem, for a suggestion that names it, in a sentence that is not a request for help, and never of their
    circumstances: "money is tight" is no problem to "sort out" for them): a cue phrase, else
    their most negative statement (questions left out: they ask, they don't tell; so is a short one that reads
    neutral, "hello."), in what they wrote before the first reply if that holds one (a later "no jammed message,
    thank you!" reads negative to a sentiment lexicon, but is good news)."""
    cues = ("tone.customer_emotion", "tone.customer_circumstances", "tone.customer_problem")
    for feature in ("tone.customer_problem", "tone.customer_emotion") if problem_first else cues:
        found = _first(analysed, feature)
        if found is not None and problem_first:  # the problem told, not a plea for help: "I'm sorry can someone help"
            found = next((e for e in analysed.evidence if e.feature == feature and not e.rule.endswith(_NO_ISSUE)
                          and not _REQUEST.match(_OPENER.sub("", " ".join(_sentence(e, analysed).split())))), None)
        if found is not None:
            return found
    statements = [e for e in analysed.evidence
                  if e.feature == "tone.customer_sentiment" and not e.text.rstrip().endswith("?")]
    statements = [e for e in statements if e.value < 0 or _says_something(e, analysed)]  # "hello." tells nothing
    replied = next((t.index for t in analysed.transcript.turns if t.role == "agent"), None)
    opening = [e for e in statements if replied is None or e.turn < replied]
    return min(opening or statements, key=lambda e: e.value) if statements else None


def _suggest(part: Contribution, evidence: Evidence, analysed: Analysed, rubric: Rubric, plain: Plain) -> str | None:
    suggestions = rubric.coaching.get("suggestions", {})
    key = f"missing:{part.signal.feature}" if part.signal.missing else part.signal.base_feature
    cue = evidence.rule.partition("#")[2]  # the lexicon entry that found the words quoted ("emotion.loss")
    family = part.signal.feature.partition(".")[0]
    by_cue = (f"{key}#{cue}", f"{family}#{cue}") if cue else ()  # for the feature, or for any of its family's
    values = _Values(evidence, analysed, plain)
    for k in (*by_cue, f"{key}@{analysed.transcript.channel}", key):  # by cue or channel, if given
        if k in suggestions:
            try:
                return suggestions[k].format_map(values)
            except (KeyError, ValueError, IndexError):
                continue  # a field this conversation cannot fill ({first_name} not known): the next one, if any
    return None


@functools.cache
def _request_verbs() -> frozenset[str]:
    return frozenset(load_json("lexicons/tone.json")["settings"]["imperative_opens_a_clause"]["requests"])


class _Values(dict):
    """Template fields, computed only when a template asks for them."""

    def __init__(self, evidence: Evidence, analysed: Analysed, plain: Plain):
        super().__init__()
        self.evidence, self.analysed, self.plain_of = evidence, analysed, plain

    def __missing__(self, key: str) -> str:
        value = getattr(self, f"_{key}", None)
        if value is None:
            raise KeyError(key)
        return value()

    def _text(self) -> str:
        return " ".join(self.evidence.text.split())

    def _plain(self) -> str:
        found = self.plain_of(self.evidence.text)
        if found is None:
            raise KeyError("plain")
        return found

    def _name(self) -> str:
        """", Dana" when the customer's first name is known, else nothing: "Thanks{name}." reads either way."""
        try:
            return ", " + self._first_name()
        except KeyError:
            return ""

    def _first_name(self) -> str:
        """The customer's first name from their speaker label ("Dana"); a template asking for it when it is not known
        gives no suggestion."""
        turns = [t for t in self.analysed.transcript.turns if t.role == "customer" and t.speaker]
        name = turns[0].speaker if turns else ""
        if not name or name.casefold() in _GENERIC_NAMES or "@" in name or any(c.isdigit() for c in name):
            raise KeyError("first_name")
        return name.split()[0]

    def _asked(self) -> str:
        """The agent's command as a request: its sentence with the words that tell ("you need to", "you have to")
        made "could you", ending in a question mark ("If it's still slow, you need to restart the router." -> "If
        it's still slow, could you restart the router?"). Only for a short sentence that holds those words at its
        start or after a clause and a comma, followed by something the customer is asked to do (the ``requests`` of
        tone.json's ``imperative_opens_a_clause``): "you have to pay $192 in total" or "No, you must apply for a
        refund" say what is so, and are better said as what the customer can do."""
        sentence = " ".join(_sentence(self.evidence, self.analysed).split())
        told = " ".join(self.evidence.text.split())
        at = sentence.casefold().find(told.casefold())
        if at < 0 or not told or len(sentence.split()) > _ASKED_WORDS:
            raise KeyError("asked")
        before, after = sentence[:at], sentence[at + len(told):]
        verb = after.split()[0].casefold() if after.split() else ""
        if verb not in _request_verbs() or not (before.strip() == "" or before.rstrip().endswith(",")
                                                and len(before.split()) > 1):
            raise KeyError("asked")  # "you have to pay $192", "No, you must apply": what is so, not a request
        request = before + ("could you" if before.strip() else "Could you") + after
        return request.rstrip(" .!?") + "?"

    def _issue(self) -> str:
        """The customer's problem in their own words, turned to the second person: 'my parcel is late' -> 'your
        parcel is late'; of a long sentence, without asides in brackets, the clause with the problem in it ('I returned
        it on 20 October and I still haven't had my refund' -> 'you still haven't had your refund')."""
        trouble = _customer_trouble(self.analysed, problem_first=True)
        if trouble is None:
            raise KeyError("issue")
        words = _SOFTENER.sub("", _OPENER.sub("", " ".join(_sentence(trouble, self.analysed).split())).rstrip(".!?"))
        if len(words.split()) < 2:  # "Wow.": a feeling, no problem to name
            raise KeyError("issue")
        if len(words.split()) > _ISSUE_WORDS:
            words = _ASIDE.sub("", words)
        if len(words.split()) > _ISSUE_WORDS:  # the clause that tells the problem, if it is short enough
            cue = " ".join(trouble.text.split())  # as the sentence: "still\nhaven't", wrapped by hand, is one line
            clause = next((c for c in _CLAUSES.split(words) if cue in c), "")
            short = 2 <= len(clause.split()) <= _ISSUE_WORDS
            words = clause if short else " ".join(words.split()[:_ISSUE_WORDS]) + "…"
        words = _I_VERB.sub(lambda m: "you " + ("are" if m.group(1) == "am" else "were"), words)
        swapped = "".join(_FIRST_TO_SECOND.get(w.casefold(), w) if w[0].isalpha() else w
                          for w in _WORD.findall(words))
        return swapped[:1].lower() + swapped[1:] if swapped[1:2].islower() else swapped  # not "tHEY CANCELLED"
