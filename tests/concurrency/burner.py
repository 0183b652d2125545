"""Keeping the CPU busy on purpose: races that need scheduling noise show when the server's
processes are preempted mid-transaction, as on a loaded production host."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

# Spins until its deadline: even a burner whose parent dies stops by itself.
SPIN = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


@contextmanager
def busy_cpu(seconds: float, processes: int | None = None) -> Iterator[None]:
    """One spinning process per core (or ``processes``) for at most ``seconds``; killed on exit."""
    count = processes or os.cpu_count() or 1
    burners = [subprocess.Popen([sys.executable, "-c", SPIN.format(seconds=seconds)]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
        for burner in burners:
            burner.wait()
