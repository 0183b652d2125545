"""When to try an unreachable server again: exponential, capped, with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays of ``first``, times ``factor`` per failure up to ``cap``; ``reset()`` after a success.

    Jitter (± ``jitter`` of the delay) keeps many clients from retrying in lockstep.
    """

    first: float = 2.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.1
    failures: int = 0
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        """Record one more failure and return how long to wait before the next try."""
        delay = min(self.first * self.factor**self.failures, self.cap)
        self.failures += 1
        spread = delay * self.jitter
        return max(0.0, delay + self._random.uniform(-spread, spread))

    def reset(self) -> None:
        self.failures = 0
