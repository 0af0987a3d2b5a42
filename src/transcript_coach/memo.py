"""Bounded memos: decisions about word forms (a lemma, a word's frequency, whether it carries content) remembered
per process, so each form is worked out once, and forgotten together when there are too many: a long run meets ever
more one-off forms (ids, typos, links), and memory must stay flat however many conversations are scored."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")


class Memo(dict):
    """A dict that starts over when it holds ``limit`` entries."""

    limit = 200_000

    def __init__(self, limit: int | None = None) -> None:
        super().__init__()
        if limit is not None:
            self.limit = limit

    def remember(self, key: Any, value: T) -> T:
        """Keep ``value`` under ``key`` and return it."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
