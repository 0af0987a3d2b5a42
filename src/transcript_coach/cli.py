"""The ``transcript-coach`` command: a thin layer over the library.

Exit codes: 0 every input scored; 1 some inputs failed (the rest were still scored and written); 2 usage error;
130 Ctrl-C, 141 standard output's reader stopped early, 143 SIGTERM.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import math
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

try:  # imported now: under a tight memory limit, a module loaded after the failure it is to explain may fail too
    import resource
except ImportError:  # not on Unix
    resource = None  # type: ignore[assignment]

from transcript_coach import __version__
from transcript_coach.errors import CoachError, UsageError
from transcript_coach.ingest import (
    DEFAULT_MAX_FILE_BYTES,
    FORMATS,
    IngestOptions,
    distinct_inputs,
    iter_inputs,
)
from transcript_coach.ingest.archive import locate
from transcript_coach.ingest.base import PARSERS
from transcript_coach.ingest.report_files import is_reports_file
from transcript_coach.limits import (
    ADDRESS_SPACE_NEEDED,
    DEFAULT_MAX_TURN_CHARS,
    DEFAULT_MAX_TURNS,
    DEFAULT_TIMEOUT_SECONDS,
)
from transcript_coach.model import Failure, Report
from transcript_coach.parallel import default_jobs
from transcript_coach.redact import RedactOptions, read_allow_file, redact_settings
from transcript_coach.reporting import TEXT_ERRORS, WRITERS, Encoded, atomic_output, encode, is_stream, printable

if TYPE_CHECKING:
    from transcript_coach.coach import Coach

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE, EXIT_TERMINATED = 130, 141, 143  # the shell's convention: 128 + signal number


class _Terminated(BaseException):
    """SIGTERM (from timeout, a job scheduler): unwinds like Ctrl-C so no partial output file is left."""


def _terminate(signum, frame) -> None:
    raise _Terminated()


class _Interrupted(KeyboardInterrupt):
    """Ctrl-C during a command. Of its own type: run as ``python -m``, CPython kills itself with SIGINT at exit,
    whatever exit code was asked for, once a ``KeyboardInterrupt`` itself came out of code it ran with ``exec`` or
    ``eval`` (a dataclass being made, when Ctrl-C lands in a module imported on first use); not a subclass."""


def _interrupt(signum, frame) -> None:
    raise _Interrupted()


@contextlib.contextmanager
def _interruptible(output: str | None, journal: Path | None = None) -> Iterator[None]:
    """Ctrl-C, SIGTERM and user-fixable errors end the command with a message and the conventional exit code;
    with ``-o`` nothing is left behind (see ``atomic_output``), except the ``journal`` of a resumable run."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    interrupt = signal.getsignal(signal.SIGINT)
    if interrupt is signal.default_int_handler:  # not where Ctrl-C is ignored (a job started in the background)
        signal.signal(signal.SIGINT, _interrupt)
    kept = (f": the reports so far are kept in {printable(str(journal))}; rerun the same command with --resume to "
            "continue")
    try:
        yield
    except KeyboardInterrupt:
        click.echo("\ninterrupted" + (kept if journal else ": nothing was written" if output else ""), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except _Terminated:
        click.echo("terminated" + (kept if journal else ": nothing was written" if output else ""), err=True)
        sys.exit(EXIT_TERMINATED)
    except UsageError as exc:  # a journal that cannot be continued (the inputs changed since)
        raise click.UsageError(str(exc)) from None
    except CoachError as exc:
        raise click.ClickException(str(exc)) from None
    except BrokenPipeError:
        if output is not None:
            raise click.ClickException(f"cannot write {output}: the program reading it has stopped") from None
        _stdout_closed()
        sys.exit(EXIT_BROKEN_PIPE)
    except OSError as exc:
        problem = f"cannot write {journal or output or 'standard output'}: {exc.strerror or exc}"
        raise click.ClickException(problem + (kept if journal else "")) from None
    finally:
        signal.signal(signal.SIGTERM, previous)
        if interrupt is signal.default_int_handler:
            signal.signal(signal.SIGINT, interrupt)


def _stdout_closed() -> None:
    """Standard output is a pipe whose reader has stopped (``| head``): end quietly, as Unix tools do. What is left
    in its buffer goes nowhere, rather than raising again, with a message, when Python flushes it at exit."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _say(message: str) -> None:
    """A line on standard error. It is made ``printable``: the file names and texts in it come from the inputs."""
    click.echo(printable(message), err=True)


ERASE_LINE = "\r\033[K"  # back to the start of a terminal line, and clear it


class _EchoWarnings(logging.Handler):
    """Warnings the library logs (a link or pipe skipped in a folder) go to standard error like the others, on a line
    of their own: on a terminal, a progress line being drawn is erased first (it is drawn again on its next update)."""

    def emit(self, record: logging.LogRecord) -> None:
        erase = ERASE_LINE if sys.stderr.isatty() else ""
        click.echo(f"{erase}{record.levelname.lower()}: {printable(record.getMessage())}", err=True)


@contextlib.contextmanager
def _library_warnings(quiet: bool) -> Iterator[None]:
    logger = logging.getLogger("transcript_coach")
    handler = _EchoWarnings(logging.ERROR if quiet else logging.WARNING)
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _write(output: str | None, write: Callable[[IO[str]], None]) -> None:
    if output:
        with atomic_output(output) as out:
            write(out)
    else:
        write(sys.stdout)


def _output_path(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """None for standard output (``-``); a symbolic link to a file as the file it points to, which is what the output
    replaces (and what a resumable run keeps its journal beside), so that the link stays."""
    if value is None or value == "-":
        return None
    return os.path.realpath(value) if os.path.islink(value) and not is_stream(value) else value


_output_option = click.option(
    "-o", "--output", type=click.Path(dir_okay=False, writable=True, allow_dash=True),
    callback=_output_path,
    help="Write here (atomically) instead of standard output ('-': standard output); a name ending in .gz, .bz2 or .xz "
         "is written compressed; a pipe or device (/dev/stdout) is written into as it is.")

_jobs_option = click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=default_jobs, metavar="N",
    show_default=f"every core, here {default_jobs()}",
    help="Score transcripts in N worker processes; 1 scores in this process. The output is the same, in the same "
         "order.")


class _Amount(click.FloatRange):
    """A number in a range, and finite: ``nan`` compares false with any bound, so a ``FloatRange`` lets it by (and
    infinity, where there is no upper bound), to fail later as a traceback."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def _check_writable(output: str | None) -> None:
    """Refuse an output path that cannot be written, or a closed standard output (``>&-``) when there is none, before
    any work is done (a usage error, exit code 2)."""
    if output is None:
        if sys.stdout is None:
            raise click.UsageError("cannot write standard output: it is closed; give -o FILE")
        return
    if is_stream(output):
        return  # a pipe or device, written as it is: the option's own check found it writable
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise click.UsageError(f"cannot write {output}: folder {folder} does not exist")
    if os.path.isdir(output):
        raise click.UsageError(f"cannot write {output}: it is a folder")
    if not os.access(folder, os.W_OK):
        raise click.UsageError(f"cannot write {output}: folder {folder} is not writable")


def _standard_input(paths: Iterable[str]) -> bytes | None:
    """The bytes of standard input when ``-`` is among ``paths`` (read whole: they travel with the work)."""
    if "-" not in paths:
        return None
    if sys.stdin is None:  # what Python makes of a standard input closed when the command started (<&-)
        raise click.UsageError("cannot read standard input ('-'): it is closed")
    try:
        return sys.stdin.buffer.read()
    except OSError as exc:
        raise click.UsageError(f"cannot read standard input ('-'): {exc.strerror or exc}") from None


def _split_names(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())


def _compile_pattern(ctx: click.Context, param: click.Parameter, value: str | None) -> re.Pattern[str] | None:
    if value is None:
        return None
    try:
        return re.compile(value, re.IGNORECASE)
    except re.error as exc:
        raise click.BadParameter(f"not a valid regular expression: {exc}") from None


class _Progress:
    """Errors and warnings on stderr as they happen, and a one-line counter when stderr is a terminal: conversations
    scored and failed, and how many a second since the first was asked for (a long run's pace)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.enabled = not quiet and sys.stderr.isatty()
        self.done = self.failed = 0
        self.started: float | None = None

    def __call__(self, items: Iterable[Report | Failure | Encoded]) -> Iterator[Report | Failure | Encoded]:
        self.started = time.monotonic()
        for item in items:
            if isinstance(item, Failure) or (isinstance(item, Encoded) and item.failed):
                self.failed += 1
                self._clear()
                _say(f"error: {item.message}")
            else:
                self.done += 1
                if item.warnings and not self.quiet:
                    self._clear()
                    for warning in item.warnings:
                        _say(f"warning: {item.source}#{item.id}: {warning}")
                if self.enabled:
                    pace = self.done / max(time.monotonic() - self.started, 1e-6)
                    click.echo(f"\rscored {self.done:,} conversation(s), {self.failed:,} failed, {pace:,.0f}/s: "
                               f"{printable(item.source)}"[:120], err=True, nl=False)
            yield item
        self._clear()

    def _clear(self) -> None:
        if self.enabled:
            click.echo(ERASE_LINE, err=True, nl=False)


PACE_EVERY = 0.1  # seconds between updates of the counter while reports stream in


def _counted(reports: Iterable[Mapping[str, Any]], enabled: bool) -> Iterator[Mapping[str, Any]]:
    """``reports`` as they stream in, and when ``enabled`` (stderr is a terminal) a line counting them, the inputs
    that could not be scored and the pace, renewed at most every ``PACE_EVERY`` seconds and erased at the end:
    ``review`` and ``agents`` over a year's reports, or over transcripts they score first, take minutes."""
    started = shown = time.monotonic()
    read = failed = 0
    try:
        for report in reports:
            read += 1
            failed += "error" in report
            if enabled and (now := time.monotonic()) - shown >= PACE_EVERY:
                click.echo(f"\rread {read:,} report(s), {failed:,} could not be scored, "
                           f"{read / max(now - started, 1e-6):,.0f}/s", err=True, nl=False)
                shown = now
            yield report
    finally:  # interrupted too: what follows starts on a clean line
        if enabled:
            click.echo(ERASE_LINE, err=True, nl=False)


_quiet_option = click.option("-q", "--quiet", is_flag=True, help="No progress line, no warnings and no closing line "
                             "on standard error (errors, and inputs that could not be scored, are still printed).")


def _coach_options(command: Callable) -> Callable:
    """The options that say how to read and score transcripts, shared by every command that scores them."""
    options = [
        click.option("--input-format", "--from", "input_format", type=click.Choice(FORMATS), default=None,
                     help="Read every input as this format instead of detecting it from the extension and content."),
        click.option("--agents", multiple=True, metavar="NAMES",
                     help="Comma-separated names of agents (a roster); repeatable. First names match full names."),
        click.option("--agent-pattern", callback=_compile_pattern, metavar="REGEX",
                     help="Speaker labels matching this regular expression (case-insensitive) are agents."),
        click.option("--agent-domain", "agent_domains", multiple=True, metavar="DOMAIN",
                     help="Email senders at this domain (or its subdomains) are agents; repeatable."),
        click.option("--max-file-size", type=_Amount(min=0.001), default=DEFAULT_MAX_FILE_BYTES / 1048576,
                     show_default=True, metavar="MB", help="Refuse input files larger than this many megabytes."),
        click.option("--max-turns", type=click.IntRange(min=1), default=DEFAULT_MAX_TURNS, show_default=True,
                     metavar="N", help="Refuse a conversation of more messages (an error record with code "
                     "'too_long'; the file's other conversations are still scored): an export whose conversations "
                     "are not told apart reads as one."),
        click.option("--max-turn-chars", type=click.IntRange(min=1), default=DEFAULT_MAX_TURN_CHARS,
                     show_default=True, metavar="N", help="Cut a longer message to its first N characters (with a "
                     "warning in the report naming the turn)."),
        click.option("--timeout", type=_Amount(min=0), default=DEFAULT_TIMEOUT_SECONDS, show_default=True,
                     metavar="SECONDS", help="Give up on a conversation whose analysis takes longer (an error record "
                     "with code 'timeout'; the batch goes on); 0 means no limit."),
        click.option("--spacy-model", metavar="NAME", help="Use this installed trained spaCy pipeline (e.g. "
                     "en_core_web_sm) instead of the built-in rule-based one."),
        click.option("--glossary", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
                     help="Company glossary (JSON or CSV 'term,plain'): extra jargon terms and their plain-language "
                          "replacements."),
        click.option("--rubric", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
                     help="Score with a team's own rubric (same format as the shipped data/rubric.json)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _make_coach(options: dict, **extra) -> Coach:
    """A ``Coach`` from the ``_coach_options`` values (and ``extra`` constructor arguments); a bad glossary, rubric,
    model or spaCy pipeline is a usage error. (Imported here: spaCy takes about a second to import, and commands that
    only read reports never need it.)"""
    from transcript_coach.coach import Coach

    ingest = IngestOptions(
        agents=_split_names(options["agents"]),
        agent_pattern=options["agent_pattern"],
        agent_domains=_split_names(options["agent_domains"]),
        format=options["input_format"],
        max_file_bytes=int(options["max_file_size"] * 1048576),
        max_turn_chars=options["max_turn_chars"],
        max_turns=options["max_turns"],
    )
    try:
        coach = Coach(options=ingest, spacy_model=options["spacy_model"], glossary=options["glossary"],
                      rubric=options["rubric"], timeout=options["timeout"] or None, **extra)
    except CoachError as exc:
        raise click.UsageError(str(exc)) from None
    # The pipeline, lexicons and tables live as long as the process: out of the garbage collector's sight, its full
    # collections while scoring walk only what scoring makes (3% of a run's time on 1,000 conversations).
    gc.freeze()
    return coach


def _redact_options(command: Callable) -> Callable:
    """The ``--redact`` options: personal data is replaced by placeholders before transcripts are analysed."""
    options = [
        click.option("--redact", is_flag=True, help="Replace personal data (e-mails, phone numbers, card numbers, "
                     "IBANs, addresses, order and account numbers, customers' names) by placeholders such as [EMAIL] "
                     "before scoring; metrics.redactions counts them."),
        click.option("--redact-allow", multiple=True, metavar="TERMS", help="Comma-separated terms never to redact "
                     "(product names that look like names or codes); repeatable. Implies --redact."),
        click.option("--redact-allow-file", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
                     help="Terms never to redact, one per line ('#' starts a comment). Implies --redact."),
        click.option("--redact-phone-region", "redact_phone_regions", multiple=True, metavar="CC",
                     help="Country (ISO code, e.g. US, GB, DE) for phone numbers written without +country code; "
                          "repeatable (default: US and GB). Implies --redact."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _redact_choice(options: dict) -> RedactOptions | None:
    """The ``RedactOptions`` chosen with ``_redact_options`` (taken out of ``options``), or None without redaction."""
    redact, allow_file = options.pop("redact"), options.pop("redact_allow_file")
    allow, regions = _split_names(options.pop("redact_allow")), _split_names(options.pop("redact_phone_regions"))
    if not (redact or allow or allow_file or regions):
        return None
    try:
        if allow_file:
            allow += read_allow_file(allow_file)
        options = RedactOptions(allow=allow, phone_regions=regions or None)
        redact_settings(options)  # an unknown phone region is a usage error
    except CoachError as exc:
        raise click.UsageError(str(exc)) from None
    return options


class _Commands(click.Group):
    """The command group, whose errors (a usage error, a file that cannot be read) are shown ``printable``: their
    messages name files and quote arguments as they were given."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with _printable_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with _printable_errors():
            return super().invoke(ctx)


@contextlib.contextmanager
def _printable_errors() -> Iterator[None]:
    try:
        yield
    except click.ClickException as exc:
        exc.message = printable(exc.message)
        raise


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="transcript-coach")
def cli() -> None:
    """Score customer-support conversations for fifteen customer-service skills, with evidence."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        # redirected to a file or pipe, UTF-8 as every file this writes (``TEXT_ERRORS``): the same bytes as with -o
        # FILE, whatever the locale says (a report in Latin-1 would not read back); a terminal keeps its encoding
        reconfigure(errors=TEXT_ERRORS, **({} if sys.stdout.isatty() else {"encoding": "utf-8"}))


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@_output_option
@click.option("--format", "output_format", type=click.Choice(sorted(WRITERS)), default="jsonl", show_default=True,
              help="Output format: JSONL (one report per line), a JSON array, CSV (one row per conversation, one "
                   "column per skill) or a readable table.")
@_coach_options
@_redact_options
@click.option("--model", "models", type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Score the skills that have a team model in DIR (written by 'train') with it instead of the "
                   "rubric.")
@click.option("--resume", is_flag=True, help="Continue an interrupted 'score -o FILE' run (JSONL) from FILE.partial: "
              "inputs already done are skipped and nothing is written twice.")
@_jobs_option
@_quiet_option
@click.option("--debug", is_flag=True, hidden=True, help="Let unexpected errors raise with a traceback.")
def score(paths, output, output_format, models, resume, jobs, quiet, debug, **coach_options) -> None:
    """Score transcripts in PATHS: files, folders (searched recursively for known extensions), zip archives (read as
    the folders they hold) or - for stdin.

    Formats: plain-text chats (.txt/.log), JSON (generic, Zendesk, Intercom, Freshdesk), CSV and JSONL with a
    conversation id column, email (.eml, .mbox), WebVTT and SRT call transcripts.
    """
    began = time.monotonic()
    paths = _distinct(paths, quiet)
    journaled = bool(output) and output_format == "jsonl" and not is_stream(output)
    if resume and not journaled:
        raise click.UsageError("--resume continues a JSONL file written with -o FILE: give -o FILE, a file rather than "
                               "a pipe or device (and --format jsonl)")
    stdin = _standard_input(paths)
    _check_writable(output)
    command = _command_record(paths, output_format, models, coach_options)
    redact = _redact_choice(coach_options)
    if not quiet:
        for path in paths:
            if path != "-" and is_reports_file(path):
                _say(f"warning: {path} is a report file written by transcript-coach: its conversations are "
                     "scored again from their turns (review and agents read it as it is)")
    coach = _make_coach(coach_options, models=models, strict=debug, redact=redact)
    progress = _Progress(quiet=quiet)
    if journaled:
        done, failed = _score_journaled(coach, paths, output, stdin, progress, command, resume, quiet, jobs)
    else:
        # JSONL lines are made where the reports are (in the workers with --jobs): the main process only writes
        scored = coach.score(paths, stdin=stdin, jobs=jobs, transform=encode if output_format == "jsonl" else None,
                             leave_out=output)  # the output file is not an input
        items = progress(scored)
        write = WRITERS[output_format]
        with _interruptible(output), _library_warnings(quiet), contextlib.closing(scored):  # closing: ends workers
            _write(output, lambda out: write(items, out))
        done, failed = progress.done, progress.failed
    if not quiet and done + failed == 0:
        click.echo("warning: no transcripts found in the given paths", err=True)
    elif not quiet:
        _say(f"scored {done:,} conversation(s), {failed:,} failed, in {time.monotonic() - began:,.1f} s"
             f"{_written_to(output)}")  # with --resume, what the output holds: the earlier run's too
    sys.exit(EXIT_SOME_FAILED if failed or done == 0 else EXIT_OK)


def _distinct(paths: Iterable[str], quiet: bool = False) -> list[str]:
    """``paths`` less those that would give conversations twice (``distinct_inputs``): a file named twice, or also in
    a folder or zip archive named, is read once; each left out is a warning (unless ``quiet``)."""
    kept, repeated = distinct_inputs(paths)
    if not quiet:
        for path, why in repeated:
            _say(f"warning: {path}: skipped: {why}")
    return kept


def _written_to(output: str | None) -> str:
    """The end of a run's closing line: where its output went, when that is a file."""
    return f"; written to {output}" if output and output != "-" else ""


def _command_record(paths, output_format: str, models: str | None, options: dict) -> dict[str, Any]:
    """What a resumed run must repeat: the paths and every option that changes the reports."""
    settings = {name: value.pattern if isinstance(value, re.Pattern) else value
                for name, value in options.items() if name not in ("jobs",)}
    return {"paths": list(paths), "format": output_format, "models": models, "options": settings}


def _score_journaled(coach: Coach, paths, output: str, stdin: bytes | None, progress: _Progress,
                     command: dict[str, Any], resume: bool, quiet: bool, jobs: int = 1) -> tuple[int, int]:
    """``score -o FILE`` in JSONL through a journal (see ``transcript_coach.resume``); the counts of reports and
    error records in the finished file."""
    from transcript_coach.resume import Journal, journal_path

    leftover = journal_path(output).exists()
    try:
        with _library_warnings(quiet):
            journal = Journal.open(output, inputs=iter_inputs(paths, leave_out=output), command=command,
                                   resume=resume)
    except CoachError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise click.UsageError(f"cannot write {journal_path(output)}: {exc.strerror or exc}") from None
    if not quiet:
        if journal.resumed:
            _say(f"resuming: {journal.kept} line(s) already in {journal.path}; {len(journal.pending)} of "
                 f"{len(journal.inputs)} input(s) left to score")
        elif resume:
            _say(f"nothing to resume ({journal.path} not found): scoring everything")
        elif leftover:
            _say(f"warning: replaced {journal.path}, left by an unfinished run (use --resume to continue such "
                 "a run)")
    scored = coach.score(journal.pending, stdin=stdin, jobs=jobs, transform=encode, skip=journal.skip)
    with _interruptible(output, journal=journal.path), _library_warnings(quiet), contextlib.closing(scored):
        try:
            for item in progress(scored):
                journal.write(item)
            journal.finish()
        finally:
            journal.close()
    return (progress.done + journal.kept - journal.failed_before, progress.failed + journal.failed_before)


@cli.command()
def formats() -> None:
    """List the input formats and the file extensions they are detected by."""
    for name in FORMATS:
        spec = PARSERS[name]
        suffixes = " ".join(spec.suffixes) or "(by content or --input-format)"
        click.echo(f"{name:<12} {suffixes:<28} {spec.description.splitlines()[0] if spec.description else ''}")
    click.echo("\nAny of these compressed with gzip, bzip2 or xz (chats.jsonl.gz, .bz2, .xz) is read as it is.")
    click.echo("A zip archive is read as the folder it holds: its files are named ARCHIVE.zip/FOLDER/FILE, and can be "
               "named so.")


class _Input(click.Path):
    """An input of ``review``, ``agents``, ``train`` and ``evaluate``: a file or folder that exists, ``-``, or a file
    or folder in a zip archive (``ARCHIVE/MEMBER``, which ``score`` reads too)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and value != "-" and not os.path.exists(value) and locate(Path(value)):
            return value  # what is wrong with it, if anything, is its error record
        return super().convert(value, param, ctx)


def _across_reports(inputs: tuple[str, ...], output: str | None, build, text_to_stdout: bool,
                    redact: RedactOptions | None = None, jobs: int = 1, quiet: bool = False) -> None:
    """The shared body of ``review`` and ``agents``: read report files (or score transcripts, redacted with
    ``redact``), each conversation once, ``build(reports)`` -> (result, write, what the output holds), list what could
    not be scored, write atomically with -o, say what the output holds on stderr (unless the text listing on stdout
    says it, or ``quiet``), exit 0 / 1 as ``score`` does."""
    from transcript_coach.review import Distinct, failure_text, load_reports

    _check_writable(output)
    inputs = _distinct(inputs, quiet)
    stdin = _standard_input(inputs)

    def redacting_coach() -> Coach:
        from transcript_coach.coach import Coach  # see _make_coach

        return Coach(redact=redact)

    with _interruptible(output), _library_warnings(quiet):
        coach = redacting_coach if redact is not None else None
        reports = Distinct(_counted(load_reports(inputs, stdin=stdin, coach=coach, jobs=jobs),
                                    not quiet and sys.stderr.isatty()))
        result, write, said = build(reports)  # read as a stream
        if reports.repeated and not quiet:
            _say(f"warning: {reports.repeated} conversation(s) given more than once (the same source and id: "
                 "overlapping report files, or a report file beside the transcripts it was scored from) "
                 "counted once")
        if output or not text_to_stdout:  # the text listing on stdout lists them itself
            for failure in result.failures:
                _say(f"could not be scored: {failure_text(failure)}")
        _write(output, write)
    if not quiet and not result.conversations and not result.failures:
        click.echo("warning: no conversations found in the given inputs", err=True)
    elif not quiet and (output or not text_to_stdout):  # the text listing on stdout says it itself
        failed = f", {len(result.failures):,} could not be scored" if result.failures else ""
        _say(f"{said}{failed}{_written_to(output)}")
    sys.exit(EXIT_SOME_FAILED if result.failures or not result.conversations else EXIT_OK)


@cli.command("review")
@click.argument("inputs", nargs=-1, required=True, type=_Input(exists=True, allow_dash=True, path_type=str))
@click.option("--top", type=click.IntRange(min=0), metavar="N", help="At most N conversations (a reviewer's "
              "budget), spread evenly across agents.")
@_output_option
@click.option("--format", "output_format", type=click.Choice(["text", "jsonl"]), default="text", show_default=True,
              help="A readable listing, or JSONL (one object per queued conversation).")
@_redact_options
@_jobs_option
@_quiet_option
def review_command(inputs, top, output, output_format, jobs, quiet, **redact_options) -> None:
    """The review queue: which conversations to read first, why, and the evidence lines.

    INPUTS are report files written by `score` (.jsonl) or transcripts, which are scored first, and folders and zip
    archives of either. Urgency comes from QA flags (by severity), low skill scores and a customer still negative at
    the end. With --top N the slots go one at a time to the agent with the fewest picked so far. Inputs that could not
    be scored are listed.
    """
    from transcript_coach.review import QUEUE_WRITERS, review

    def build(reports):
        result = review(reports, top)
        said = (f"{len(result.items):,} conversation(s) in the review queue, of {result.conversations:,} read "
                f"({result.queued:,} with something to review)")
        return result, lambda out: QUEUE_WRITERS[output_format](result, out, top=top), said

    _across_reports(inputs, output, build, output_format == "text", _redact_choice(redact_options), jobs, quiet)


@cli.command("agents")
@click.argument("inputs", nargs=-1, required=True, type=_Input(exists=True, allow_dash=True, path_type=str))
@click.option("--agent", "agent_name", metavar="NAME", help="Only this agent (any spelling seen in the reports).")
@_output_option
@click.option("--format", "output_format", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True, help="A readable profile per agent, a JSON array (one object per agent) or CSV "
                                      "(one row per agent, one column per skill mean).")
@_redact_options
@_jobs_option
@_quiet_option
def agents_command(inputs, agent_name, output, output_format, jobs, quiet, **redact_options) -> None:
    """Per-agent profiles: skill means and spread, strengths and weaknesses against the team, the weekly trend and
    continuous_learning, a self-assessment checklist answered from the numbers, and what to keep doing and what to
    work on (the strengths and faults the agent's coaching notes came back to, with the latest note).

    INPUTS are report files written by `score` (.jsonl) or transcripts, which are scored first, and folders and zip
    archives of either.
    """
    from transcript_coach.profiles import PROFILE_WRITERS, build_profiles

    def build(reports):
        result = build_profiles(reports)
        chosen = result.agents
        if agent_name is not None:
            found = result.find(agent_name)
            if found is None:
                known = ", ".join(p.name for p in result.agents) or "none"
                raise click.UsageError(f"no agent named {agent_name!r} in these reports (agents: {known})")
            chosen = (found,)
        said = f"{len(chosen):,} agent profile(s) from {result.conversations:,} conversation(s)"
        return result, lambda out: PROFILE_WRITERS[output_format](result, chosen, out), said

    _across_reports(inputs, output, build, output_format == "text", _redact_choice(redact_options), jobs, quiet)


def _labelled_reports(labels_file: str, inputs: tuple[str, ...], coach_options: dict, jobs: int, **extra):
    """The label file and the reports of ``inputs`` (report files are read, transcripts scored), matched by id."""
    from transcript_coach.calibration import match_reports
    from transcript_coach.errors import InputError
    from transcript_coach.labels import read_labels
    from transcript_coach.review import failure_text, load_reports

    try:
        labels = read_labels(labels_file)
    except InputError as exc:
        raise click.ClickException(str(exc)) from None
    coach = []  # made on first need: report files alone need no pipeline
    inputs = _distinct(inputs)
    stdin = _standard_input(inputs)

    def make() -> Coach:
        coach.append(_make_coach(coach_options, **extra))
        return coach[-1]

    with _interruptible(None):
        matched = match_reports(labels, load_reports(inputs, stdin=stdin, coach=make, jobs=jobs))
    for failure in matched.failures:
        _say(f"could not be scored: {failure_text(failure)}")
    if matched.missing:
        shown = ", ".join(matched.missing[:10]) + (" ..." if len(matched.missing) > 10 else "")
        _say(f"warning: {len(matched.missing)} labelled conversation(s) not found in the inputs: {shown}")
    if matched.ambiguous:
        _say(f"warning: {len(matched.ambiguous)} labelled id(s) match several conversations and are left "
             f"out: {', '.join(matched.ambiguous[:10])}")
    if not matched.reports:
        raise click.ClickException(f"none of the {len(labels.ids)} labelled conversations in {labels_file} was found "
                                   "in the inputs (ids are matched to the report id or the file name)")
    return labels, matched


@cli.command("train")
@click.argument("labels_file", metavar="LABELS", type=click.Path(exists=True, dir_okay=False))
@click.argument("inputs", nargs=-1, required=True, type=_Input(exists=True, allow_dash=True, path_type=str))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default="models", show_default=True,
              help="Folder to write the models and their cards to (one <skill>.json + <skill>.card.json each).")
@_coach_options
@_jobs_option
def train_command(labels_file, inputs, out_dir, jobs, **coach_options) -> None:
    """Fit one model per skill to a QA team's human scores, for 'score --model DIR'.

    LABELS is a CSV with a transcript id, a skill and a score per row (or a column per skill); scores are numbers on
    any scale or pass/fail. INPUTS are the transcripts (files, folders) or report files written by 'score'. Each
    model is chosen and measured by cross-validation; its card records the agreement on conversations it did not
    see.
    """
    from transcript_coach.calibration import earlier_models, train

    labels, matched = _labelled_reports(labels_file, inputs, coach_options, jobs)
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(f"cannot write to {out_dir}: {exc.strerror or exc}") from None
    with _interruptible(None):
        results = train(labels, matched, out_dir)
    click.echo(f"{'skill':22} {'n':>5} {'scale':10} {'model':22} {'spearman':>8} {'MAE':>6} {'kappa':>6} "
               f"{'acc':>5}  (cross-validated)")
    for r in results:
        if r.skipped:
            click.echo(f"{r.skill:22} {r.n:5d} skipped: {r.skipped}")
            continue
        scale = labels.skills[r.skill].scale.describe().replace(" scale", "")
        kind = "logistic" if labels.skills[r.skill].scale.kind == "binary" else "ridge"
        model = f"{kind} {r.choice.transform} {r.choice.strength:g}"
        m = r.metrics
        click.echo(f"{r.skill:22} {r.n:5d} {scale:10} {model:22} {_num(m.get('spearman')):>8} "
                   f"{_num(m.get('mae')):>6} {_num(m.get('kappa')):>6} {_num(m.get('accuracy')):>5}  -> {r.path}")
    trained = [r for r in results if not r.skipped]
    if trained:
        _say(f"wrote {len(trained)} model(s) to {out_dir}; use them with: transcript-coach score --model "
             f"{out_dir} ...")
    for skill, path, origin in earlier_models(out_dir, {r.skill for r in trained}):
        _say(f"warning: {out_dir} also holds a model for {skill} from an earlier training{origin}, which "
             f"'score --model {out_dir}' uses too: delete {path} (and its card) to score {skill} with the "
             "rubric")
    sys.exit(EXIT_OK if trained and not matched.failures else EXIT_SOME_FAILED)


def _num(value) -> str:
    return "-" if value is None else f"{value:.2f}"


@cli.command("evaluate")
@click.argument("labels_file", metavar="LABELS", type=click.Path(exists=True, dir_okay=False))
@click.argument("inputs", nargs=-1, required=True, type=_Input(exists=True, allow_dash=True, path_type=str))
@click.option("--model", "models", type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Evaluate the team models in DIR (from 'train') instead of the rubric.")
@click.option("--bootstrap", type=click.IntRange(min=0), default=None, metavar="N",
              help="Bootstrap resamples for the 95% intervals (default from data/calibration.json; 0 = none).")
@_output_option
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_coach_options
@_jobs_option
def evaluate_command(labels_file, inputs, models, bootstrap, output, output_format, jobs, **coach_options) -> None:
    """How well the scorer agrees with a QA team's human scores, per skill: Spearman, MAE on the team's scale,
    quadratic-weighted kappa (pass/fail: accuracy and the confusion matrix), with bootstrap intervals, and the
    features most associated with the disagreements.

    LABELS as for 'train'. INPUTS are transcripts (scored now, with --model if given) or report files from 'score'
    (their scores are used as they are).
    """
    from transcript_coach.calibration import EVALUATION_WRITERS, evaluate

    _check_writable(output)
    labels, matched = _labelled_reports(labels_file, inputs, coach_options, jobs, models=models)
    scorer = f"team models in {models}" if models else f"rubric {coach_options['rubric'] or '(shipped)'}"
    with _interruptible(output):
        result = evaluate(labels, matched, scorer=scorer, bootstrap_rounds=bootstrap)
        _write(output, lambda out: EVALUATION_WRITERS[output_format](result, out))
    sys.exit(EXIT_SOME_FAILED if matched.failures else EXIT_OK)


# Importing, building the pipeline and scoring allocate many objects that reference counting frees (tokens, spans,
# hits) and almost none in cycles: a young collection every 10,000 allocations rather than Python's 700 saves about
# 2% of a run on 1,000 conversations (fewer full collections during start-up, fewer young ones while scoring).
_YOUNG_COLLECTION_ALLOCATIONS = 10_000


_MEMORY_NEEDED = ("transcript-coach needs about 300 MB for its language tables (and, as address space, about twice "
                  "that), and more for each worker process (--jobs); give it more memory, or use --jobs 1")
# written as it is when even the message cannot be made: made now, while there is memory
_OUT_OF_MEMORY = f"Error: out of memory: {_MEMORY_NEEDED}\n".encode()


def _address_space_limit() -> int | None:
    """The limit on this process's address space in bytes (``ulimit -v``), or None when there is none."""
    if resource is None:
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def main() -> None:
    gc.set_threshold(_YOUNG_COLLECTION_ALLOCATIONS, *gc.get_threshold()[1:])
    if sys.stderr is None:  # started with standard error closed (2>&-): its messages go nowhere rather than fail
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115  (for as long as the process lives)
    failure: Exception | None = None
    try:
        cli(prog_name="transcript-coach")
    except MemoryError as exc:  # under a memory limit (ulimit -v), most likely while loading the language tables
        failure = exc.with_traceback(None)
    except Exception as exc:
        # Under a limit on its address space (ulimit -v) smaller than loading needs, a library fails to load in
        # whatever way it fails (a shared object that cannot be mapped, thinc finding no BLIS): that limit is the
        # cause to name, not a traceback. Under no limit, or a larger one, a failure is more likely a bug.
        limit = _address_space_limit()
        if limit is None or limit >= ADDRESS_SPACE_NEEDED:
            raise
        failure = exc.with_traceback(None)
    finally:
        if failure is None:
            # Every output is closed by now, and what is left the operating system frees at exit: spare the
            # interpreter's last garbage collection a walk over every object of the pipeline and lexicons (0.2 s).
            gc.freeze()
    if failure is None:  # click ends a run with SystemExit: this is not reached, but a run that returns is done
        return
    # Told out of the handler, once what the failure held (its frames, what they had built) is let go: memory may be
    # too short even to write the message and exit before
    gc.collect()
    try:
        click.echo(f"Error: {_memory_problem(failure)}", err=True)
    except MemoryError:
        with contextlib.suppress(OSError):
            os.write(2, _OUT_OF_MEMORY)
    sys.exit(EXIT_SOME_FAILED)


def _memory_problem(failure: Exception) -> str:
    if isinstance(failure, MemoryError):
        return f"out of memory: {_MEMORY_NEEDED}"
    limit = _address_space_limit() or 0
    return (f"{printable(str(failure)) or type(failure).__name__}: most likely for want of memory: this process may "
            f"use no more than {limit / 1048576:,.0f} MB of address space (ulimit -v); {_MEMORY_NEEDED}")


if __name__ == "__main__":
    main()
