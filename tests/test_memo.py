"""Per-process memos stay bounded: memory must not grow with the number of conversations scored."""

from __future__ import annotations

from transcript_coach.memo import Memo


def test_a_memo_starts_over_when_full(monkeypatch):
    monkeypatch.setattr(Memo, "limit", 3)
    memo = Memo()
    assert [memo.remember(k, k * 10) for k in (1, 2, 3)] == [10, 20, 30]
    assert dict(memo) == {1: 10, 2: 20, 3: 30}
    assert memo.remember(4, 40) == 40
    assert dict(memo) == {4: 40}


def test_a_memo_can_have_its_own_limit():
    memo = Memo(limit=2)
    memo.remember("a", 1)
    memo.remember("b", 2)
    memo.remember("c", 3)
    assert dict(memo) == {"c": 3} and Memo().limit == Memo.limit
