"""Problems a user can cause and fix; the CLI prints them without a traceback.

Every error carries a stable ``code`` so that batch output (the error record of the report contract) and tests can
refer to it, and a message that says what was found and what was expected.
"""

from __future__ import annotations


class CoachError(Exception):
    """Base for problems the user can fix."""

    code = "error"


class InputError(CoachError):
    """An input file (or stdin) that cannot be read as a transcript."""

    def __init__(self, source: str, message: str, *, line: int | None = None, code: str = "invalid_input"):
        self.source = source
        self.message = message
        self.line = line
        self.code = code
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class UsageError(CoachError):
    """A bad option value or combination (exit code 2 in the CLI)."""

    code = "usage"


class DataFileError(CoachError):
    """A lexicon, rubric, glossary or schema file that does not validate; the message names the file and key."""

    code = "data_file"


class AnalysisTimeout(CoachError):
    """One conversation's analysis went past the time limit (``Coach(timeout=...)``, ``--timeout``)."""

    code = "timeout"

    def __init__(self, source: str, conversation: str, seconds: float):
        self.source = source
        self.conversation = conversation
        self.seconds = seconds
        super().__init__(f"{source}: conversation {conversation!r} took longer than the {seconds:g} s time limit to "
                         "analyse and was skipped; raise the limit with --timeout if it is a genuine conversation")
