"""Per-process memos stay bounded: memory must not grow with the number of conversations scored."""

from __future__ import annotations

from transcript_coach.signals.resources import Memo


def test_a_memo_starts_over_when_full(monkeypatch):
    monkeypatch.setattr(Memo, "limit", 3)
    memo = Memo()
    assert [memo.remember(k, k * 10) for k in (1, 2, 3)] == [10, 20, 30]
    assert dict(memo) == {1: 10, 2: 20, 3: 30}
    assert memo.remember(4, 40) == 40
    assert dict(memo) == {4: 40}
