"""The retry schedule for an unreachable server."""

from __future__ import annotations

from desktop.sync import Backoff


def test_delays_grow_exponentially_up_to_the_cap_and_reset() -> None:
    backoff = Backoff(first=2, factor=2, cap=20, jitter=0)
    assert [backoff.next_delay() for _ in range(6)] == [2, 4, 8, 16, 20, 20]
    backoff.reset()
    assert backoff.next_delay() == 2


def test_jitter_stays_within_its_share_of_the_delay() -> None:
    backoff = Backoff(first=10, factor=1, cap=10, jitter=0.1)
    delays = [backoff.next_delay() for _ in range(50)]
    assert all(9 <= delay <= 11 for delay in delays)
    assert len(set(delays)) > 1
