"""The ``Coach``: holds what is expensive to build (the spaCy pipeline, lexicons, models) and turns transcripts into
reports.

Build one ``Coach`` per process and reuse it: a batch pays for the pipeline once, and spaCy runs over all the turns
of many transcripts in one ``nlp.pipe`` stream. ``analyze`` depends on the transcript alone, so a report does not
change with what else is in the batch or in which order it came.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

# wordfreq before spaCy: its import calls inspect.stack(), which looks at every module loaded so far (a CLI run starts
# 0.06-0.14 s sooner without spaCy's hundreds of modules)
import wordfreq  # noqa: F401
from spacy.language import Language as SpacyLanguage

from transcript_coach.errors import AnalysisTimeout, CoachError, InputError
from transcript_coach.features import vectorize
from transcript_coach.ingest import IngestOptions, iter_inputs, read_bytes, read_path
from transcript_coach.coaching import write_notes
from transcript_coach.flags import language_flag, raise_flags
from transcript_coach.language import Language, detect_language, load_identifier_in_background
from transcript_coach.limits import PIPELINE_NEW_STRINGS, check_time, time_limit
from transcript_coach.metrics import conversation_metrics
from transcript_coach.model import SKILLS, Failure, Report, SkillScore, Transcript
from transcript_coach.nlp import BATCH_TURNS, TranscriptDocs, batches, load_pipeline, parse_stream, release
from transcript_coach.parallel import default_jobs, score_parallel
from transcript_coach.redact import RedactOptions, redact_settings, redact_transcript
from transcript_coach.satisfaction import estimate_satisfaction
from transcript_coach.scoring import Analysed, load_rubric, score_skills
from transcript_coach.scoring.by_agent import score_by_agent
from transcript_coach.signals import extract
from transcript_coach.signals.jargon import plain_language
from transcript_coach.signals.promise import ledger, ledger_evidence, ledger_features
from transcript_coach.signals.resources import Resources
from transcript_coach.signals.listening import name_customers
from transcript_coach.signals.structure import name_introduced_agents
from transcript_coach.skill_models import load_skill_models


class Coach:
    """Scores transcripts.

    ``options`` says how to read files (agent rosters, limits, a forced format); ``spacy_model`` names an installed
    trained spaCy pipeline to use instead of the built-in rule-based one; ``glossary`` is a company glossary file;
    ``rubric`` a team's own rubric file (default: the shipped one); ``strict`` lets unexpected exceptions (bugs)
    raise instead of becoming error records.
    ``models`` is a folder of a team's own skill models (``transcript-coach train``) that score the skills they cover
    instead of the rubric.
    ``redact`` (a ``RedactOptions``, or True for its defaults) replaces personal data (e-mails, phone numbers, card
    numbers, names, ...) by placeholders before each transcript is analysed, so no report text contains it (see
    ``transcript_coach.redact``).
    ``timeout`` is a per-conversation time limit in seconds (None or 0: no limit): past it, ``analyze`` raises
    ``AnalysisTimeout`` and ``score`` gives that conversation a ``timeout`` error record and goes on.

    With more than one core, building a ``Coach`` also starts loading the language model (py3langid's, about 70 MB)
    in a thread, which the pipeline's construction does not wait for: a batch nearly always has a text that needs it.
    """

    def __init__(
        self,
        *,
        options: IngestOptions = IngestOptions(),
        spacy_model: str | None = None,
        glossary: str | Path | None = None,
        rubric: str | Path | None = None,
        strict: bool = False,
        redact: RedactOptions | bool | None = None,
        models: str | Path | None = None,
        timeout: float | None = None,
    ):
        # every constructor argument, first thing: worker processes build the same Coach from it (parallel.py)
        self.arguments: dict[str, Any] = {name: value for name, value in locals().items() if name != "self"}
        _check_arguments(options, timeout, redact)
        if default_jobs() > 1:
            load_identifier_in_background()  # on another core, while the pipeline is built below
        redact = RedactOptions() if redact is True else redact or None
        self.options = options
        self.strict = strict
        self.timeout = timeout
        self.redact = redact
        if redact is not None:
            redact_settings(redact)  # a bad phone region or settings file fails here, once
        self.rubric = load_rubric(rubric)
        self.skill_models = load_skill_models(models) if models is not None else None
        self._build_pipeline()

    def _build_pipeline(self, kept: dict[str, Any] | None = None) -> None:
        """The spaCy pipeline and the resources built on it (sharing ``kept``, what older resources built that does
        not depend on a pipeline)."""
        nlp = load_pipeline(self.arguments["spacy_model"])
        resources = Resources(nlp, glossary=self.arguments["glossary"], kept=kept)
        resources.warm()  # bad lexicon or glossary files fail here, once, not on every transcript
        self.nlp, self.resources = nlp, resources
        self._strings_limit = len(nlp.vocab.strings) + PIPELINE_NEW_STRINGS

    def _renew_pipeline(self) -> None:
        """The spaCy pipeline and the resources built on it, built again. spaCy's vocabulary keeps every word form
        it has met for as long as the pipeline lives; ``_analyze`` calls this between batches once
        ``PIPELINE_NEW_STRINGS`` forms have been added, so a run of any length holds a bounded vocabulary. Reports
        do not change: nothing a report says depends on what the pipeline met before. The old pipeline and
        lexicons are let go before the new ones are built, so that memory never holds both."""
        kept = self.resources.pipeline_free()
        self.nlp = self.resources = None
        self._build_pipeline(kept)

    def analyze(self, transcript: Transcript) -> Report:
        """The report for one transcript."""
        return next(self.analyze_many([transcript]))

    def analyze_many(self, transcripts: Iterable[Transcript]) -> Iterator[Report]:
        """Reports for many transcripts, streamed in input order (spaCy sees a batch of turns at a time). A
        transcript over the time limit raises ``AnalysisTimeout`` (``score`` records it and goes on)."""
        for result in self._analyze(map(_transcript, transcripts)):
            if isinstance(result, AnalysisTimeout):
                raise result
            yield result

    def _analyze(self, transcripts: Iterable[Transcript]) -> Iterator[Report | AnalysisTimeout]:
        """``analyze_many``, with the ``AnalysisTimeout`` of a transcript over the time limit in its report's place."""
        for batch in batches(transcripts):
            if len(self.nlp.vocab.strings) > self._strings_limit:
                self._renew_pipeline()
            yield from self._analyze_batch(batch)  # its docs are gone when it returns, before a renewal

    def _analyze_batch(self, batch: list[Transcript]) -> Iterator[Report | AnalysisTimeout]:
        nlp, resources = self.nlp, self.resources  # the batch's docs and resources belong to one pipeline
        redactions: list[dict[str, int] | None] = [None] * len(batch)
        if self.redact is not None:  # here, per transcript, so that it happens wherever the analysis runs
            settings = redact_settings(self.redact)
            pairs = [redact_transcript(t, settings, self.redact.allow) for t in batch]
            batch, redactions = [p[0] for p in pairs], [p[1] for p in pairs]
        given_up: set[int] = set()
        docs = parse_stream(nlp, batch, skip=given_up)
        for index, (transcript, counts) in enumerate(zip(batch, redactions, strict=True)):
            parsed: list = []
            try:  # the time limit covers language detection, parsing (as spaCy streams) and the analysis
                with time_limit(self.timeout, source=transcript.source, conversation=transcript.id):
                    language = detect_language(transcript)
                    for _ in transcript.turns:
                        check_time()
                        parsed.append(next(docs))
                    result: Report | AnalysisTimeout = self._report(
                        TranscriptDocs(transcript, tuple(parsed), language.code), language, resources, counts)
            except AnalysisTimeout as exc:
                given_up.add(index)  # its turns not yet parsed are parsed as empty text
                for _ in range(len(transcript.turns) - len(parsed)):
                    next(docs)
                result = exc
            finally:
                release(parsed)
            yield result

    def _report(self, docs: TranscriptDocs, language: Language, resources: Resources,
                redactions: dict[str, int] | None = None) -> Report:
        transcript = docs.transcript
        warnings = list(transcript.warnings)
        metrics = conversation_metrics(transcript)
        metrics["language"] = language.to_dict()
        if redactions is not None:
            metrics["redactions"] = redactions
        if not language.english:
            reason = f"not scored: the conversation is in '{language.code}', and the signals need English"
            warnings.append(f"language: detected '{language.code}'; English-language signals were not extracted")
            metrics["features"] = {}
            return Report(
                transcript=transcript,
                skills={name: SkillScore(score=None, confidence=0.0, reason=reason) for name in SKILLS},
                flags=language_flag(language.code, self.rubric),
                metrics=metrics,
                warnings=tuple(warnings),
            )
        evidence = extract(docs, resources)
        transcript, named = name_introduced_agents(docs, evidence)
        transcript, customers_named = name_customers(transcript, docs, resources)
        warnings.extend(named + customers_named)
        promises = ledger(docs, evidence)
        features = {**vectorize(evidence), **ledger_features(promises)}
        metrics["features"] = features
        analysed = Analysed(transcript, evidence, features, self.rubric.conditions, ledger_evidence(promises))
        metrics["satisfaction"] = estimate_satisfaction(analysed)
        skills = score_skills(analysed, self.rubric)
        if self.skill_models is not None:
            skills = self.skill_models.apply(analysed, metrics, skills)
        by_agent = score_by_agent(transcript, evidence, promises, self.rubric, ledger_features)
        if by_agent is not None:
            metrics["by_agent"] = by_agent
        return Report(
            transcript=transcript,
            skills=skills,
            evidence=evidence,
            notes=write_notes(analysed, skills, self.rubric, plain=lambda text: plain_language(resources, text)),
            flags=raise_flags(analysed, skills, promises, self.rubric),
            promises=promises,
            metrics=metrics,
            warnings=tuple(warnings),
        )

    def read(self, paths: Iterable[str | os.PathLike[str]], *, stdin: bytes | None = None,
             leave_out: str | os.PathLike[str] | None = None) -> Iterator[Transcript | Failure]:
        """Transcripts from files, folders and ``-`` (the ``stdin`` bytes), with a ``Failure`` per unreadable input;
        ``leave_out``: a file that a folder walk does not read (the run's own output, see ``iter_inputs``)."""
        for item in iter_inputs(paths, leave_out=leave_out):
            source = "<stdin>" if item == "-" else str(item)
            try:
                if item == "-":
                    yield from read_bytes(stdin or b"", source, self.options, name="")
                else:
                    yield from read_path(item, self.options)
            except InputError as exc:
                yield Failure(source=exc.source, code=exc.code, message=str(exc), line=exc.line)
            except CoachError:
                raise  # a broken lexicon, model or option: no input can be scored, so stop with its message
            except Exception as exc:
                if self.strict:
                    raise
                yield _internal_failure(source, exc)

    def score(self, paths: Iterable[str | os.PathLike[str]], *, stdin: bytes | None = None, jobs: int = 1,
              transform: Callable[[Report | Failure], Any] | None = None,
              skip: Callable[[Transcript | Failure], bool] | None = None,
              leave_out: str | os.PathLike[str] | None = None) -> Iterator[Any]:
        """Reports (or failures) for every conversation in the given files and folders (or the one path given),
        streamed in input order.

        ``jobs`` > 1 scores in that many worker processes (``transcript_coach.parallel``), with the same results in
        the same order; close the iterator if you stop before its end (``contextlib.closing``). ``transform``, a
        module-level function, is applied to each result where it is made, in the worker with ``jobs`` > 1, and
        what it returns is yielded instead: ``reporting.encode`` has the JSONL lines written in the workers.

        ``skip`` is called, in this process, with each conversation read (and each ``Failure`` in its place), in
        order, until it first returns False: those it returned True for are read but neither scored nor yielded.
        ``--resume`` passes over what an interrupted run wrote with it (``Journal.skip``). ``leave_out``: a file
        that a folder walk does not read, such as the file the run writes to (``iter_inputs``)."""
        if jobs != 1:
            yield from score_parallel(self, paths, stdin=stdin, jobs=jobs, transform=transform, skip=skip,
                                      leave_out=leave_out)
            return
        items = self.read(paths, stdin=stdin, leave_out=leave_out)
        yield from self.score_read(items if skip is None else itertools.dropwhile(skip, items), transform=transform)

    def score_read(self, items: Iterable[Transcript | Failure], *,
                   transform: Callable[[Report | Failure], Any] | None = None) -> Iterator[Any]:
        """``score`` for inputs already read (what ``read`` yields): a report per transcript, each ``Failure`` passed
        on in its place, in order; ``transform`` as for ``score``."""
        if transform is not None:
            yield from map(transform, self.score_read(items))
            return
        pending: list[Transcript | Failure] = []
        turns = 0
        for item in items:
            pending.append(item)
            turns += len(item.turns) if isinstance(item, Transcript) else 0
            if turns >= BATCH_TURNS:
                yield from self._score_pending(pending)
                pending, turns = [], 0
        yield from self._score_pending(pending)

    def _score_pending(self, items: list[Transcript | Failure]) -> Iterator[Report | Failure]:
        transcripts = [item for item in items if isinstance(item, Transcript)]
        try:
            reports = iter([_timeout_failure(r) if isinstance(r, AnalysisTimeout) else r
                            for r in self._analyze(transcripts)])
        except CoachError:
            raise
        except Exception:
            if self.strict:
                raise
            reports = iter([self._analyze_or_fail(t) for t in transcripts])  # find the one that failed
        for item in items:
            yield item if isinstance(item, Failure) else next(reports)

    def _analyze_or_fail(self, transcript: Transcript) -> Report | Failure:
        try:
            return self.analyze(transcript)
        except AnalysisTimeout as exc:
            return _timeout_failure(exc)
        except CoachError:
            raise
        except Exception as exc:
            return _internal_failure(f"{transcript.source}#{transcript.id}", exc)


def _check_arguments(options: Any, timeout: Any, redact: Any) -> None:
    """A clear error at once for a constructor argument of the wrong kind, rather than one on every conversation."""
    if not isinstance(options, IngestOptions):
        raise TypeError(f"options must be an IngestOptions, got {type(options).__name__}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or not 0 <= timeout < float("inf")):
        raise ValueError(f"timeout must be a number of seconds of at least 0 (0 or None: no limit), got {timeout!r}")
    if not isinstance(redact, (RedactOptions, bool, type(None))):
        raise TypeError(f"redact must be a RedactOptions (or True for the defaults), got {type(redact).__name__}")


def _transcript(item: Any) -> Transcript:
    """``item``, which must be a ``Transcript``: a clear error for anything else (a string, a dict of turns)."""
    if not isinstance(item, Transcript):
        raise TypeError(f"expected a Transcript (made with Transcript.from_turns, or read with Coach.read), got "
                        f"{type(item).__name__} {item!r:.80}")
    return item


def _timeout_failure(exc: AnalysisTimeout) -> Failure:
    """A conversation over the time limit: its error record (under its file's name), and the batch goes on."""
    return Failure(source=exc.source, code=exc.code, message=str(exc))


def _internal_failure(source: str, exc: Exception) -> Failure:
    """A bug met on one input becomes that input's error record, so the rest of the batch is still scored; so does
    running out of memory on it (under a memory limit), which is not a bug."""
    if isinstance(exc, MemoryError):
        return Failure(source=source, code="out_of_memory",
                       message=f"{source}: ran out of memory while scoring it; give transcript-coach more memory, or "
                               "use --jobs 1")
    return Failure(source=source, code="internal_error",
                   message=f"{source}: unexpected error, please report it: {type(exc).__name__}: {exc}")
