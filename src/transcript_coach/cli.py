"""The ``transcript-coach`` command: a thin layer over the library.

Exit codes: 0 every input scored; 1 some inputs failed (the rest were still scored and written); 2 usage error.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO

import click

from transcript_coach import __version__
from transcript_coach.coach import Coach
from transcript_coach.errors import CoachError
from transcript_coach.ingest import DEFAULT_MAX_FILE_BYTES, FORMATS, IngestOptions
from transcript_coach.ingest.base import PARSERS
from transcript_coach.model import Failure, Report
from transcript_coach.reporting import WRITERS, atomic_output

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # the shell's convention: 128 + signal number


class _Terminated(BaseException):
    """SIGTERM (from timeout, a job scheduler): unwinds like Ctrl-C so no partial output file is left."""


def _terminate(signum, frame) -> None:
    raise _Terminated()


@contextlib.contextmanager
def _interruptible(output: str | None) -> Iterator[None]:
    """Ctrl-C, SIGTERM and user-fixable errors end the command with a message and the conventional exit code;
    with ``-o`` nothing is left behind (see ``atomic_output``)."""
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    except KeyboardInterrupt:
        click.echo("\ninterrupted: nothing was written" if output else "\ninterrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except _Terminated:
        click.echo("terminated: nothing was written" if output else "terminated", err=True)
        sys.exit(EXIT_TERMINATED)
    except CoachError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write {output or 'standard output'}: {exc.strerror or exc}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _write(output: str | None, write: Callable[[IO[str]], None]) -> None:
    if output:
        with atomic_output(output) as out:
            write(out)
    else:
        write(sys.stdout)


def _check_writable(output: str) -> None:
    """Refuse an output path that cannot be written before any work is done (a usage error, exit code 2)."""
    folder = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(folder):
        raise click.UsageError(f"cannot write {output}: folder {folder} does not exist")
    if os.path.isdir(output):
        raise click.UsageError(f"cannot write {output}: it is a folder")
    if not os.access(folder, os.W_OK):
        raise click.UsageError(f"cannot write {output}: folder {folder} is not writable")


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
    """Errors and warnings on stderr as they happen, and a one-line counter when stderr is a terminal."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.enabled = not quiet and sys.stderr.isatty()
        self.done = self.failed = 0

    def __call__(self, items: Iterable[Report | Failure]) -> Iterator[Report | Failure]:
        for item in items:
            if isinstance(item, Failure):
                self.failed += 1
                self._clear()
                click.echo(f"error: {item.message}", err=True)
            else:
                self.done += 1
                if item.warnings and not self.quiet:
                    self._clear()
                    for warning in item.warnings:
                        click.echo(f"warning: {item.source}#{item.id}: {warning}", err=True)
                if self.enabled:
                    click.echo(f"\rscored {self.done} conversation(s), {self.failed} failed: {item.source}"[:120],
                               err=True, nl=False)
            yield item
        self._clear()

    def _clear(self) -> None:
        if self.enabled:
            click.echo("\r\033[K", err=True, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="transcript-coach")
def cli() -> None:
    """Score customer-support conversations for fifteen customer-service skills, with evidence."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=str))
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here (atomically) "
              "instead of standard output.")
@click.option("--format", "output_format", type=click.Choice(sorted(WRITERS)), default="jsonl", show_default=True,
              help="Output format: JSONL (one report per line), a JSON array, CSV (one row per conversation, one "
                   "column per skill) or a readable table.")
@click.option("--input-format", "--from", "input_format", type=click.Choice(FORMATS), default=None,
              help="Read every input as this format instead of detecting it from the extension and content.")
@click.option("--agents", multiple=True, metavar="NAMES",
              help="Comma-separated names of agents (a roster); repeatable. First names match full names.")
@click.option("--agent-pattern", callback=_compile_pattern, metavar="REGEX",
              help="Speaker labels matching this regular expression (case-insensitive) are agents.")
@click.option("--agent-domain", "agent_domains", multiple=True, metavar="DOMAIN",
              help="Email senders at this domain (or its subdomains) are agents; repeatable.")
@click.option("--max-file-size", type=click.FloatRange(min=0.001), default=DEFAULT_MAX_FILE_BYTES / 1048576,
              show_default=True, metavar="MB", help="Refuse input files larger than this many megabytes.")
@click.option("--spacy-model", metavar="NAME", help="Use this installed trained spaCy pipeline (e.g. en_core_web_sm) "
              "instead of the built-in rule-based one.")
@click.option("--glossary", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="Company glossary (JSON or CSV 'term,plain'): extra jargon terms and their plain-language "
                   "replacements.")
@click.option("--rubric", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="Score with a team's own rubric (same format as the shipped data/rubric.json).")
@click.option("-q", "--quiet", is_flag=True, help="No progress line and no warnings on standard error (errors are "
              "still printed).")
@click.option("--debug", is_flag=True, hidden=True, help="Let unexpected errors raise with a traceback.")
def score(paths, output, output_format, input_format, agents, agent_pattern, agent_domains, max_file_size,
          spacy_model, glossary, rubric, quiet, debug) -> None:
    """Score transcripts in PATHS: files, folders (searched recursively for known extensions) or - for stdin.

    Formats: plain-text chats (.txt/.log), JSON (generic, Zendesk, Intercom, Freshdesk), CSV and JSONL with a
    conversation id column, email (.eml, .mbox), WebVTT and SRT call transcripts.
    """
    options = IngestOptions(
        agents=_split_names(agents),
        agent_pattern=agent_pattern,
        agent_domains=_split_names(agent_domains),
        format=input_format,
        max_file_bytes=int(max_file_size * 1048576),
    )
    stdin = sys.stdin.buffer.read() if "-" in paths else None
    if output:
        _check_writable(output)
    try:
        coach = Coach(options=options, spacy_model=spacy_model, glossary=glossary, rubric=rubric, strict=debug)
    except CoachError as exc:  # a bad --glossary, --rubric or --spacy-model is a usage error
        raise click.UsageError(str(exc)) from None
    progress = _Progress(quiet=quiet)
    items = progress(coach.score(paths, stdin=stdin))
    write = WRITERS[output_format]
    with _interruptible(output):
        _write(output, lambda out: write(items, out))
    if not quiet and progress.done + progress.failed == 0:
        click.echo("warning: no transcripts found in the given paths", err=True)
    sys.exit(EXIT_SOME_FAILED if progress.failed or progress.done == 0 else EXIT_OK)


@cli.command()
def formats() -> None:
    """List the input formats and the file extensions they are detected by."""
    for name in FORMATS:
        spec = PARSERS[name]
        suffixes = " ".join(spec.suffixes) or "(by content or --input-format)"
        click.echo(f"{name:<12} {suffixes:<28} {spec.description.splitlines()[0] if spec.description else ''}")


def _across_reports(inputs: tuple[str, ...], output: str | None, build, text_to_stdout: bool) -> None:
    """The shared body of ``review`` and ``agents``: read report files (or score transcripts), ``build(reports)`` ->
    (result, write), list what could not be scored, write atomically with -o, exit 0 / 1 as ``score`` does."""
    from transcript_coach.review import failure_text, load_reports

    if output:
        _check_writable(output)
    stdin = sys.stdin.buffer.read() if "-" in inputs else None
    with _interruptible(output):
        result, write = build(list(load_reports(inputs, stdin=stdin)))
        if output or not text_to_stdout:  # the text listing on stdout lists them itself
            for failure in result.failures:
                click.echo(f"could not be scored: {failure_text(failure)}", err=True)
        _write(output, write)
    if not result.conversations and not result.failures:
        click.echo("warning: no conversations found in the given inputs", err=True)
    sys.exit(EXIT_SOME_FAILED if result.failures or not result.conversations else EXIT_OK)


@cli.command("review")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True, path_type=str))
@click.option("--top", type=click.IntRange(min=0), metavar="N", help="At most N conversations (a reviewer's "
              "budget), spread evenly across agents.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here (atomically) "
              "instead of standard output.")
@click.option("--format", "output_format", type=click.Choice(["text", "jsonl"]), default="text", show_default=True,
              help="A readable listing, or JSONL (one object per queued conversation).")
def review_command(inputs, top, output, output_format) -> None:
    """The review queue: which conversations to read first, why, and the evidence lines.

    INPUTS are report files written by `score` (.jsonl) or transcripts and folders, which are scored first. Urgency
    comes from QA flags (by severity), low skill scores and a customer still negative at the end. With --top N the
    slots go one at a time to the agent with the fewest picked so far. Inputs that could not be scored are listed.
    """
    from transcript_coach.review import QUEUE_WRITERS, review

    def build(reports):
        result = review(reports, top)
        return result, lambda out: QUEUE_WRITERS[output_format](result, out, top=top)

    _across_reports(inputs, output, build, output_format == "text")


@cli.command("agents")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, allow_dash=True, path_type=str))
@click.option("--agent", "agent_name", metavar="NAME", help="Only this agent (any spelling seen in the reports).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here (atomically) "
              "instead of standard output.")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "csv"]), default="text",
              show_default=True, help="A readable profile per agent, a JSON array (one object per agent) or CSV "
                                      "(one row per agent, one column per skill mean).")
def agents_command(inputs, agent_name, output, output_format) -> None:
    """Per-agent profiles: skill means and spread, strengths and weaknesses against the team, the weekly trend and
    continuous_learning, and a self-assessment checklist answered from the numbers.

    INPUTS are report files written by `score` (.jsonl) or transcripts and folders, which are scored first.
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
        return result, lambda out: PROFILE_WRITERS[output_format](result, chosen, out)

    _across_reports(inputs, output, build, output_format == "text")


def main() -> None:
    cli(prog_name="transcript-coach")


if __name__ == "__main__":
    main()
