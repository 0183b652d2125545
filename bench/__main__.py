"""Run every benchmark in turn: ``python -m bench`` (or ``make bench``).

Each benchmark builds its own database, prints its figures with the ratio to a baseline run in the
same process, and writes JSON to ``bench/results/``.
"""

from __future__ import annotations

import importlib
import sys
import time

BENCHMARKS = ("http_load", "analytics_dashboard", "sync_snapshot", "desktop_sync", "import_memory")


def main(names: list[str]) -> int:
    for name in names or list(BENCHMARKS):
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"bench.{name}").main()
        print(f"--- bench.{name} took {time.perf_counter() - started:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
