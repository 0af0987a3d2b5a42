"""empathy.*: the agent's empathy, by the three mechanisms of EPITOME (Sharma et al., EMNLP 2020) and support staples.

Features (agent turns only; phrases in ``data/lexicons/empathy.json``, negation-aware through entries marked
``"negate": true``: "I'm not sorry", "I don't understand", "no need to apologise" do not count, "Oh no, that sounds
awful" does):

- ``empathy.emotional_reaction``: warmth, compassion, concern, sympathy ("I'm so sorry to hear that", "that sounds
  really stressful", "oh no", "hang in there"). Evidence: the phrase; value: 1, or 0.5 for closing wishes ("good
  luck", "take care"; not an email's sign-off, "Best wishes," on a line of its own above the name).
- ``empathy.interpretation``: understanding of the customer's feelings or experience, inferred or shared ("I
  understand how frustrating", "it sounds like you've been let down", "that must be hard", "I've been there"; not
  "I've also" before an action, ``shared_not_before``: "I've also switched on a block").
  Also, as a sentence (rule ``self-disclosure``), the agent sharing an experience of their own: a feeling,
  mental-health or family word (``disclosure_words``) whose nearest pronoun before it, within ``disclosure_window``
  tokens, is first person singular and not negated ("My mum struggled with this too"; not "I hope you feel better").
- ``empathy.exploration``: a question that explores the customer's situation or feelings. Evidence: the sentence. Rule:
  a question (see ``listening.is_question``) that is directed at the customer (second person, or a short wh-question
  such as "What happened?"), or a sentence with an exploration cue ("tell me more", "how long has"), unless it is
  information gathering or housekeeping: it asks for an identifier (``identifier_phrases``: order number, email,
  account, ...), it is a request phrased as a question ("could you restart the app?": ``request_verbs`` after
  "can/could/would/will you"), or an offer/check ("anything else?", "would you like me to", "does that make sense?":
  ``not_exploration``).
- ``empathy.apology``: "sorry for the delay", "I apologise", a bare "I'm sorry". Evidence: the phrase extended to the
  end of its clause (at most ``apology_extend_tokens`` tokens: "sorry for the inconvenience"). A bare "sorry" right
  after a customer turn that expressed an emotion is an ``empathy.emotional_reaction`` instead ("I'm so sorry." to
  "I'm devastated"), since it expresses sympathy rather than admits fault.
- ``empathy.validation``: "that's completely understandable", "you're right to be upset", "anyone would be frustrated".
- ``empathy.reassurance``: "we'll get this sorted", "you're in good hands", "I'll make sure", "don't worry".
- ``empathy.responsive``: emitted on the same span as each of the features above when the most recent customer turn
  before the agent's turn expressed an emotion or a problem (``customer.json`` cues). Rule ``context:customer-emotion``
  (emotion cues win) or ``context:customer-problem``.
- ``empathy.passed_over``: the agent's first reply after the customer told of hard circumstances (``told_features``:
  "I lost my job", "my dad is in hospital", words of self-harm) that shows none of the features above, when the agent
  shows empathy somewhere else in the conversation (with none at all, the rubric's missing empathy says it). Evidence:
  the reply's opening, to the end of its first sentence of at least ``told_quote_min_words`` words ("Hello Dana,
  thanks for getting in touch."); rule ``context:customer-told#<the customer's cue entry>`` ("#circumstances.money":
  the suggestion for that kind of circumstances).
- ``empathy.over_apology``: apologies beyond ``max_apologies`` in the conversation (rule ``count:apologies``), or the
  same apology phrase of at least ``repeat_apology_min_tokens`` tokens said again (rule ``repeat:apology-phrase``).
  Evidence: the extra apology; value: how many apologies so far.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from transcript_coach.lexicon import Match
from transcript_coach.model import Turn
from transcript_coach.nlp import TranscriptDocs, doc_sentences
from transcript_coach.phrases import Phrases, norm
from transcript_coach.signals import Hit, extractor, span_hit
from transcript_coach.signals.listening import Words, is_question, matches, trimmed, words
from transcript_coach.signals.resources import Resources

FAMILY = "empathy"


@dataclass(frozen=True, slots=True)
class Settings:
    max_apologies: int
    repeat_min_tokens: int
    extend_tokens: int
    clause_breaks: frozenset[str]
    request_lead: int
    softeners: frozenset[str]
    responsive: frozenset[str]
    told: frozenset[str]
    quote_min_words: int
    second_person: frozenset[str]
    short_question: int
    request_verbs: frozenset[str]
    self_words: frozenset[str]
    other_words: frozenset[str]
    disclosure_words: frozenset[str]
    disclosure_window: int
    shared_not_before: Phrases  # "I've also sent ...": an action, not a shared experience
    skip: PhraseMatcher  # identifier requests and offers/checks: not exploration


def settings(res: Resources) -> Settings:
    def build() -> Settings:
        get = lambda key: res.setting(FAMILY, key)  # noqa: E731
        skip = PhraseMatcher(res.nlp.vocab, attr="LOWER")
        for key in ("identifier_phrases", "not_exploration"):
            phrases = [p.lower() for p in get(key)]
            phrases += [p.replace("'", "\u2019") for p in phrases if "'" in p]
            skip.add(key, list(res.nlp.tokenizer.pipe(phrases)))
        return Settings(
            max_apologies=int(get("max_apologies")),
            repeat_min_tokens=int(get("repeat_apology_min_tokens")),
            extend_tokens=int(get("apology_extend_tokens")),
            clause_breaks=frozenset(w.lower() for w in get("apology_clause_breaks")),
            request_lead=int(get("request_lead_tokens")),
            softeners=frozenset(w.lower() for w in get("request_softeners")),
            responsive=frozenset(get("responsive_features")),
            told=frozenset(get("told_features")),
            quote_min_words=int(get("told_quote_min_words")),
            second_person=frozenset(w.lower() for w in get("second_person")),
            short_question=int(get("short_question_tokens")),
            request_verbs=frozenset(w.lower() for w in get("request_verbs")),
            self_words=frozenset(w.lower() for w in get("self_words")),
            other_words=frozenset(w.lower() for w in get("other_words")),
            disclosure_words=frozenset(w.lower() for w in get("disclosure_words")),
            disclosure_window=int(get("disclosure_window")),
            shared_not_before=Phrases(get("shared_not_before")),
            skip=skip,
        )

    return res.cached("empathy.settings", build)


def customer_context(found: list[Match]) -> str | None:
    """"emotion" or "problem" when a customer turn (its ``customer.json`` matches) expresses one, else None."""
    kinds = {m.entry.feature for m in found}
    if "customer.emotion" in kinds:
        return "emotion"
    if "customer.problem" in kinds:
        return "problem"
    return None


@extractor(FAMILY)
def empathy_signals(docs: TranscriptDocs, res: Resources) -> Iterator[Hit]:
    cfg = settings(res)
    w = words(res)
    context: str | None = None
    told: str | None = None  # the cue entry of hard circumstances the customer told of, not yet replied to
    passed: list[Hit] = []
    shown = False  # any empathy in the conversation
    apologies: list[tuple[Hit, str]] = []
    for turn, doc in docs.turns():
        if turn.role == "customer":
            found = matches(res, "customer", doc)
            context = customer_context(found)
            told = next((m.entry.id for m in found if m.entry.feature in cfg.told), told)
            continue
        if turn.role != "agent":
            continue
        answered = False
        for hit, key in _turn_hits(turn, doc, matches(res, FAMILY, doc), cfg, w, context):
            yield hit
            if hit.feature in cfg.responsive:
                answered = True
                if context:
                    yield Hit("empathy.responsive", hit.turn, hit.start, hit.end, f"context:customer-{context}")
            if hit.feature == "empathy.apology":
                apologies.append((hit, key))
        shown = shown or answered
        if told is not None and not answered and len(doc):
            rule = f"context:customer-told#{told}"
            passed.append(span_hit("empathy.passed_over", turn.index, _opening(doc, cfg), rule))
        told = None
    if shown:
        yield from passed
    yield from _over_apology(apologies, cfg)


def _opening(doc: Doc, cfg: Settings) -> Span:
    """The reply from its start to the end of its first sentence of at least ``quote_min_words`` words (past a
    greeting: "Dear Mrs Price," / "Thank you for your email."), or the whole reply."""
    sents = doc_sentences(doc)
    end = next((sent.end for sent in sents if sum(t.is_alpha for t in sent) >= cfg.quote_min_words), len(doc))
    return trimmed(doc[sents[0].start if sents else 0:end])


def _turn_hits(turn: Turn, doc: Doc, found: list[Match], cfg: Settings, w: Words, context: str | None
               ) -> Iterator[tuple[Hit, str]]:
    sents = doc_sentences(doc)
    starts = [sent.start for sent in sents]
    cue_sentences: dict[int, str] = {}  # sentence start -> exploration cue entry
    by_feature: dict[str, list[Match]] = {}
    bare: list[Match] = []
    for m in found:
        if _not_empathy(m, doc, cfg):
            continue
        if m.entry.feature == "empathy.exploration":
            cue_sentences.setdefault(starts[bisect_right(starts, m.span.start) - 1], m.entry.id)
        elif m.entry.id == "sorry.any":
            bare.append(m)
        else:
            by_feature.setdefault(m.entry.feature, []).append(m)
    covered = {i for ms in by_feature.values() for m in ms for i in range(m.span.start, m.span.end)}
    for m in bare:
        if m.span.start not in covered:
            feature = "empathy.emotional_reaction" if context == "emotion" else "empathy.apology"
            by_feature.setdefault(feature, []).append(m)
    for feature, ms in by_feature.items():
        taken_end = -1  # spans come sorted by start, so one that overlaps a taken span starts before the last end
        for m in sorted(ms, key=lambda m: (m.span.start, -len(m.span))):
            if m.span.start < taken_end:
                continue
            taken_end = m.span.end
            if feature == "empathy.apology":
                sent_end = sents[bisect_right(starts, m.span.start) - 1].end
                span = _extend(m.span, sent_end, cfg)
            else:
                span = m.span
            while len(span) > 1 and span[-1].is_punct:  # patterns may end on punctuation: the words are evidence
                span = span[:-1]
            rule = f"lexicon:{FAMILY}#{m.entry.id}"
            if m.entry.id == "sorry.any":
                rule += "+context" if feature == "empathy.emotional_reaction" else ""
            key = " ".join(t.lower_.replace("\u2019", "'") for t in span)
            yield span_hit(feature, turn.index, span, rule, m.entry.value), key
    interpreted = {starts[bisect_right(starts, m.span.start) - 1] for m in by_feature.get("empathy.interpretation", ())}
    for sent in sents:
        rule = _exploration(sent, cfg, w, cue_sentences.get(sent.start))
        if rule:
            yield span_hit("empathy.exploration", turn.index, trimmed(sent), rule), ""
        if sent.start not in interpreted and _self_disclosure(sent, cfg):
            yield span_hit("empathy.interpretation", turn.index, trimmed(sent), "self-disclosure"), ""


def _not_empathy(m: Match, doc: Doc, cfg: Settings) -> bool:
    """A closing wish that is an email's sign-off ("Best wishes," / "Elena" on lines of their own: a farewell, not a
    reaction), or "I've also" / "I'm also" before an action ("I've also switched on a block"), not a shared
    experience."""
    span = m.span
    if m.entry.id == "er.closing":
        before = doc[span.start - 1] if span.start else None
        end = span.end
        while end < len(doc) and doc[end].is_punct:
            end += 1
        after = doc[end] if end < len(doc) else None
        return ((before is None or (before.is_space and "\n" in before.text))
                and (after is None or (after.is_space and "\n" in after.text)))
    if m.entry.id == "ip.shared":
        return bool(cfg.shared_not_before.longest([norm(t.text) for t in doc[span.end:span.end + 3]], 0))
    return False


def _extend(span: Span, sent_end: int, cfg: Settings) -> Span:
    """The apology phrase with what it apologises for: up to ``apology_extend_tokens`` more tokens, to the end of the
    clause (punctuation or an ``apology_clause_breaks`` word)."""
    doc, end = span.doc, span.end
    while end < sent_end and end - span.end < cfg.extend_tokens:
        t = doc[end]
        needs_object = end == span.end and span[-1].lower_ in ("for", "about")  # "sorry about that"
        if t.is_punct or t.is_space or (t.lower_ in cfg.clause_breaks and not needs_object):
            break
        end += 1
    return doc[span.start:end]


def _exploration(sent: Span, cfg: Settings, w: Words, cue: str | None) -> str | None:
    """The rule by which ``sent`` explores the customer's situation, or None (see the module docstring)."""
    question = is_question(sent, w)
    if not question and cue != "ex.invite":
        return None
    if cfg.skip(sent):
        return None
    tokens = [t for t in sent if not (t.is_punct or t.is_space or t.text.startswith("@"))]
    if not tokens:
        return None
    lowers = [t.lower_ for t in tokens]
    if _is_request(tokens, lowers, cfg):
        return None
    if cue:
        return f"lexicon:{FAMILY}#{cue}"
    if any(x in cfg.second_person for x in lowers):
        return "question:second-person"
    if lowers[0] in w.wh and len(lowers) <= cfg.short_question:
        return "question:short-wh"
    return None


def _is_request(tokens: list, lowers: list[str], cfg: Settings) -> bool:
    """A request phrased as a question: "can/could/would/will you (please) <request verb>" near the start."""
    for k in range(min(len(lowers) - 2, cfg.request_lead)):
        if lowers[k] in ("can", "could", "would", "will", "wo") and lowers[k + 1] in ("you", "u"):
            rest = [j for j in range(k + 2, len(lowers)) if lowers[j] not in cfg.softeners]
            if rest:
                j = rest[0]
                return lowers[j] in cfg.request_verbs or tokens[j].lemma_.lower() in cfg.request_verbs
            return False
    return False


def _self_disclosure(sent: Span, cfg: Settings) -> bool:
    """The agent shares an experience or feeling of their own: a feeling, mental-health or family word whose nearest
    preceding pronoun (within ``disclosure_window`` tokens) is first person singular ("I felt the same", "my mum")."""
    doc = sent.doc
    for t in sent:
        if t.lower_ not in cfg.disclosure_words:
            continue
        for k in range(t.i - 1, max(sent.start, t.i - cfg.disclosure_window) - 1, -1):
            x = doc[k].lower_
            if x in cfg.self_words:
                return not _negated_between(doc, k, t.i)
            if x in cfg.other_words:
                break
    return False


def _negated_between(doc: Doc, start: int, end: int) -> bool:
    return any(doc[k].norm_ == "not" or doc[k].lower_ in ("never", "no") for k in range(start, end))


def _over_apology(apologies: list[tuple[Hit, str]], cfg: Settings) -> Iterator[Hit]:
    seen: set[str] = set()
    for n, (hit, key) in enumerate(apologies, 1):
        rule = None
        if n > cfg.max_apologies:
            rule = "count:apologies"
        elif key in seen and len(key.split()) >= cfg.repeat_min_tokens:
            rule = "repeat:apology-phrase"
        seen.add(key)
        if rule:
            yield Hit("empathy.over_apology", hit.turn, hit.start, hit.end, rule, float(n))
