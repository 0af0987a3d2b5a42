"""Politeness: the features of one sentence (or one request) and the shipped logistic-regression model over them.

``PolitenessFeaturizer.features(span, matches)`` is THE feature function: ``benchmarks/train_politeness.py`` calls it
on each Stanford Politeness request and the ``tone`` extractor calls it on each agent sentence, so training and run
time can never disagree. The features are

- ``strategy:<entry id>``: the politeness strategies of Danescu-Niculescu-Mizil et al. (2013) and their opposites,
  one indicator per entry of ``data/lexicons/tone.json`` (please / please at the start, gratitude, hedges,
  greetings, apologies, deference, indirect requests "could you" / "would you mind", direct questions and starts,
  1st/2nd person (at the start), factuality, "by the way", "can/will you", imperatives, blame, negative phrasing,
  profanity, informality);
- ``sentiment:positive`` / ``sentiment:negative``: a word of VADER's lexicon (with the corrections of tone.json)
  with valence beyond ``settings.sentiment_word_threshold``;
- ``w:<word>`` and ``w2:<word> <word>`` (``<s>`` marks a sentence start): lower-case unigrams and bigrams, of which
  the model keeps those seen in at least ``min_df`` training requests (its vocabulary, stored in the model file).

``PolitenessModel`` wraps the JSON linear model (``linear_model.py``: no pickle, a dot product at run time) and maps
its probability p of "polite" to ``2p - 1`` in [-1, 1]. The model file records a hash of the feature definitions
(the tone.json entries, the settings they use and the sentiment word lists); loading refuses a model trained with
other definitions, since its coefficients would silently mean something else.

``fit_politeness`` is the training code, shared by the training script and the benchmark's cross-validation.
scikit-learn is imported only there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, Token

from transcript_coach.errors import DataFileError
from transcript_coach.lexicon import Lexicon, Match, load_lexicon
from transcript_coach.linear_model import LinearModel, load_linear_model

TASK = "politeness"
FEATURE_SET = "transcript-coach/politeness-features/v1"
MODEL_FILE = "models/politeness.json"
CUE_FEATURE = "tone.cue"  # entries that only feed the model and are never emitted as evidence
SENTENCE_START = "<s>"
IGNORED_TOKENS = frozenset({"<", ">"})  # the corpus writes URLs as "<url>"; the word "url" stands for any URL
MATCHING_KEYS = frozenset({"id", "phrases", "pattern", "patterns", "negatable", "exclude"})  # what decides a match


def shipped_model_path() -> Path:
    """Where the shipped model lives (package data; a real file for regular and editable installs)."""
    return Path(str(resources.files("transcript_coach.data").joinpath(MODEL_FILE)))


def vader_lexicon() -> dict[str, float]:
    """VADER's own word valences, uncorrected."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return dict(SentimentIntensityAnalyzer().lexicon)


def corrected_lexicon(base: Mapping[str, float], *overrides: Mapping[str, float]) -> dict[str, float]:
    """``base`` with word valences replaced; a valence of 0 removes the word (VADER then ignores it)."""
    lexicon = dict(base)
    for table in overrides:
        for word, valence in table.items():
            if valence == 0:
                lexicon.pop(word, None)
            else:
                lexicon[word] = float(valence)
    return lexicon


class PolitenessFeaturizer:
    """Strategy, sentiment-word and n-gram features of a span. Build once (``res.cached``); it holds matchers."""

    def __init__(self, lexicon: Lexicon, document: Mapping[str, Any], sentiment: Mapping[str, float]):
        self.lexicon = lexicon
        settings = document.get("settings", {})
        try:
            threshold = float(settings["sentiment_word_threshold"])
            window = int(settings["suppress_window"])
            suppress = {str(group): frozenset(str(w).lower() for w in words)
                        for group, words in settings["suppress_after"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataFileError(f"lexicons/tone.json: settings: {exc!r} (sentiment_word_threshold, suppress_window, "
                                "suppress_after are needed by the politeness features)") from None
        self.window = window
        self.suppress = suppress
        self.positive = frozenset(w for w, v in sentiment.items() if v >= threshold and _is_word(w))
        self.negative = frozenset(w for w, v in sentiment.items() if v <= -threshold and _is_word(w))
        self.strategy_ids = tuple(sorted(lexicon.entries))
        self.fixed_features = tuple(f"strategy:{i}" for i in self.strategy_ids) + (
            "sentiment:positive", "sentiment:negative")
        definition = {
            "feature_set": FEATURE_SET,
            "entries": [{k: v for k, v in entry.items() if k in MATCHING_KEYS}
                        for entry in document.get("entries", []) if isinstance(entry, Mapping)],
            "settings": {"sentiment_word_threshold": threshold, "suppress_window": window,
                         "suppress_after": {g: sorted(w) for g, w in sorted(suppress.items())}},
            "positive": sorted(self.positive),
            "negative": sorted(self.negative),
        }
        canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        self.definitions_sha256 = hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def matches(self, doc: Doc) -> list[Match]:
        """Lexicon matches in ``doc``, without negated ones (lexicon.py) and without imperatives, blame and negative
        phrasing that only describe a condition ("if you can't log in", "sorry that you didn't ...")."""
        found = []
        for match in self.lexicon.matches(doc):
            cues = self.suppress.get(match.entry.id.split(".", 1)[0])
            if cues and self._after_cue(doc, match.span.start, cues):
                continue
            found.append(match)
        found.sort(key=lambda m: (m.span.start, m.span.end, m.entry.id))
        return found

    def _after_cue(self, doc: Doc, start: int, cues: frozenset[str]) -> bool:
        sentence_start = doc[start].sent.start
        return any(t.lower_ in cues for t in doc[max(sentence_start, start - self.window):start])

    def features(self, span: Span, matches: Iterable[Match]) -> dict[str, float]:
        """The features of ``span`` (a sentence, or a whole request as ``doc[:]``) given ``matches`` of its doc."""
        features: dict[str, float] = {}
        for match in matches:
            if span.start <= match.span.start and match.span.end <= span.end:
                features[f"strategy:{match.entry.id}"] = 1.0
        previous = None
        for token in span:
            if token.is_space:
                continue
            word = _word(token)
            if word is None:
                continue
            if token.is_sent_start or previous is None:
                previous = SENTENCE_START
            if word in self.positive:
                features["sentiment:positive"] = 1.0
            elif word in self.negative:
                features["sentiment:negative"] = 1.0
            features[f"w:{word}"] = 1.0
            features[f"w2:{previous} {word}"] = 1.0
            previous = word
        return features

    def document_features(self, doc: Doc) -> dict[str, float]:
        """The features of a whole document (one training request)."""
        return self.features(doc[:], self.matches(doc))


def _word(token: Token) -> str | None:
    if token.text in IGNORED_TOKENS:
        return None
    if token.like_url:
        return "url"
    if token.like_num and not token.is_alpha:
        return "<num>"
    return token.lower_


def _is_word(text: str) -> bool:
    return text.replace("'", "").replace("-", "").isalpha()


def build_featurizer(nlp: Language, lexicon: Lexicon | None = None,
                     sentiment: Mapping[str, float] | None = None) -> PolitenessFeaturizer:
    """The featurizer for the shipped tone.json (pass the compiled lexicon and VADER lexicon when you have them)."""
    from transcript_coach.data import load_json

    document = load_json("lexicons/tone.json")
    if lexicon is None:
        lexicon = load_lexicon("tone", nlp)
    if sentiment is None:
        sentiment = corrected_lexicon(vader_lexicon(), document.get("sentiment", {}).get("words", {}))
    return PolitenessFeaturizer(lexicon, document, sentiment)


class PolitenessModel:
    """The politeness score of a span in [-1, 1]: ``2 * P(polite) - 1`` under a linear model over the features."""

    def __init__(self, model: LinearModel, featurizer: PolitenessFeaturizer, *, source: str = "<memory>"):
        extractor = model.extractor
        if extractor.get("feature_set") != FEATURE_SET:
            raise DataFileError(f"{source}: key 'extractor.feature_set': expected {FEATURE_SET!r}, found "
                                f"{extractor.get('feature_set')!r}")
        if extractor.get("definitions_sha256") != featurizer.definitions_sha256:
            raise DataFileError(
                f"{source}: key 'extractor.definitions_sha256': the model was trained with other feature definitions "
                "than lexicons/tone.json now holds (entries, suppress settings or sentiment words changed); retrain "
                "it with 'python benchmarks/train_politeness.py'")
        self.model = model
        self.featurizer = featurizer

    def score(self, span: Span, matches: Iterable[Match]) -> float:
        return 2.0 * self.model.predict(self.featurizer.features(span, matches)) - 1.0

    def score_doc(self, doc: Doc) -> float:
        return 2.0 * self.model.predict(self.featurizer.document_features(doc)) - 1.0


def load_politeness_model(featurizer: PolitenessFeaturizer, path: str | Path | None = None) -> PolitenessModel:
    path = Path(path) if path is not None else shipped_model_path()
    return PolitenessModel(load_linear_model(path, TASK), featurizer, source=str(path))


def rule_score(features: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """The no-model baseline: a hand-weighted sum of the strategies that fired (weights from tone.json settings,
    by entry id or by the group before its dot), plus the sentiment-word indicators."""
    total = 0.0
    for name in features:
        if name.startswith("strategy:"):
            entry = name[len("strategy:"):]
            weight = weights.get(entry, weights.get(entry.split(".", 1)[0], 0.0))
        else:
            weight = weights.get(name, 0.0)
        total += weight
    return total


# --- training (scikit-learn is imported only here) -------------------------------------------------------------

DEFAULT_CS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


@dataclass(frozen=True)
class Fit:
    model: LinearModel
    C: float
    min_df: int
    inner_auc: Mapping[str, float]  # mean inner cross-validated ROC AUC per C tried


def vocabulary(features: Sequence[Mapping[str, float]], fixed: Sequence[str], min_df: int) -> list[str]:
    """The fixed (strategy and sentiment) features, then the n-grams present in at least ``min_df`` items, sorted."""
    counts: dict[str, int] = {}
    for item in features:
        for name in item:
            if name.startswith(("w:", "w2:")):
                counts[name] = counts.get(name, 0) + 1
    return list(fixed) + sorted(n for n, c in counts.items() if c >= min_df)


def _matrix(features: Sequence[Mapping[str, float]], names: Sequence[str]):
    from scipy.sparse import csr_matrix

    index = {n: i for i, n in enumerate(names)}
    rows, cols, values = [], [], []
    for r, item in enumerate(features):
        for name, value in item.items():
            c = index.get(name)
            if c is not None:
                rows.append(r)
                cols.append(c)
                values.append(value)
    return csr_matrix((values, (rows, cols)), shape=(len(features), len(names)), dtype=float)


def _fit_lr(x, y, C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, solver="liblinear", max_iter=1000, tol=1e-6, random_state=0).fit(x, y)


def fit_politeness(
    features: Sequence[Mapping[str, float]],
    labels: Sequence[int],
    *,
    fixed: Sequence[str],
    extractor: Mapping[str, Any],
    groups: Sequence[Any] | None = None,
    min_df: int = 3,
    Cs: Sequence[float] = DEFAULT_CS,
    inner_folds: int = 5,
    seed: int = 0,
) -> Fit:
    """Logistic regression on the features of labelled items (1 = polite): the vocabulary is chosen on these items
    only; C by ``inner_folds``-fold cross-validated ROC AUC (grouped by ``groups``, e.g. the request text, so that
    duplicates never straddle a split; the vocabulary is re-chosen inside each inner fold too)."""
    import numpy as np
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold

    y = np.asarray(labels, dtype=int)
    group_ids = np.asarray(groups if groups is not None else range(len(y)))
    splitter = StratifiedGroupKFold(n_splits=inner_folds, shuffle=True, random_state=seed)
    scores: dict[float, list[float]] = {C: [] for C in Cs}
    for train, test in splitter.split(np.zeros(len(y)), y, group_ids):
        train_features = [features[i] for i in train]
        names = vocabulary(train_features, fixed, min_df)
        x_train = _matrix(train_features, names)
        x_test = _matrix([features[i] for i in test], names)
        for C in Cs:
            clf = _fit_lr(x_train, y[train], C)
            scores[C].append(float(roc_auc_score(y[test], clf.decision_function(x_test))))
    mean = {C: float(np.mean(s)) for C, s in scores.items()}
    best = max(Cs, key=lambda C: (round(mean[C], 6), -C))  # ties go to the stronger regularisation
    names = vocabulary(features, fixed, min_df)
    clf = _fit_lr(_matrix(features, names), y, best)
    model = LinearModel(task=TASK, feature_names=tuple(names), coef=tuple(float(c) for c in clf.coef_[0]),
                        intercept=float(clf.intercept_[0]), link="logistic",
                        extractor={**extractor, "min_df": min_df})
    return Fit(model=model, C=best, min_df=min_df, inner_auc={str(C): round(v, 4) for C, v in mean.items()})


def extractor_info(featurizer: PolitenessFeaturizer) -> dict[str, Any]:
    """What a model file records about how its features are computed (checked by ``PolitenessModel``)."""
    return {"feature_set": FEATURE_SET, "definitions_sha256": featurizer.definitions_sha256,
            "unit": "training: one request (1-3 sentences); run time: one agent sentence",
            "score": "2 * P(polite) - 1"}
