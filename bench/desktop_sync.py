"""A full desktop sync at 30 teams x 15 agents x 24 months x 5 KPIs, with the UI loop watched.

Seeds its OWN SQLite server database with bulk inserts, runs the real server in a child process,
and signs the desktop services in as the admin (who sees everything). While ``SyncService``
pulls the whole snapshot into a fresh cache, a 10 ms heartbeat ``QTimer`` on the same qasync loop
records every gap between its ticks: the worst gap minus 10 ms is the worst event-loop stall the
UI would have felt. Applying pages into the cache is bulk work in a worker thread; its rate is
reported as rows per second of apply time.

    QT_QPA_PLATFORM=offscreen python -m bench.desktop_sync [--runs 3]

Prints the figures and writes ``bench/results/desktop_sync.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication

from bench.desktop_server import (
    AGENTS_PER_TEAM,
    MONTHS,
    TEAMS,
    admin_login,
    copy_database,
    seed_database,
    server_process,
)
from desktop.credentials import MemoryStore
from desktop.net import ApiClient
from desktop.services import Services
from desktop.storage import LocalCache

RESULTS = Path(__file__).with_name("results") / "desktop_sync.json"
HEARTBEAT_MS = 10


class Heartbeat(QObject):
    """A precise timer on the UI loop; ``worst_stall`` is the longest late tick, in seconds."""

    def __init__(self, interval_ms: int = HEARTBEAT_MS) -> None:
        super().__init__()
        self.interval = interval_ms / 1000
        self.gaps: list[float] = []
        self._last = 0.0
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self._tick()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    @property
    def worst_stall(self) -> float:
        return max((gap - self.interval for gap in self.gaps), default=0.0)


@dataclass
class SyncRun:
    """One full sync into an empty cache, watched by the heartbeat."""

    seconds: float
    pages: int
    rows: int
    apply_seconds: float
    rows_per_second: float
    worst_stall_ms: float
    p99_gap_ms: float
    ticks: int
    cache_rows: dict[str, int] = field(default_factory=dict)


async def _full_sync(base_url: str, email: str, password: str, cache_dir: Path) -> SyncRun:
    api = ApiClient(base_url)
    cache = LocalCache.in_dir(cache_dir)
    services = Services.build(api, cache, MemoryStore())
    try:
        await services.auth.sign_in(base_url, email, password, remember=False)
        heartbeat = Heartbeat()
        heartbeat.start()
        started = time.perf_counter()
        report = await services.sync.sync_now()
        elapsed = time.perf_counter() - started
        heartbeat.stop()
        if report is None:
            raise RuntimeError("the sync did not finish")
        gaps = sorted(heartbeat.gaps)
        return SyncRun(
            seconds=round(elapsed, 3),
            pages=report.pages,
            rows=report.rows,
            apply_seconds=round(report.apply_seconds, 3),
            rows_per_second=round(report.rows_per_second),
            worst_stall_ms=round(heartbeat.worst_stall * 1000, 2),
            p99_gap_ms=round(gaps[int(len(gaps) * 0.99) - 1] * 1000, 2) if gaps else 0.0,
            ticks=len(gaps),
            cache_rows=cache.row_counts(),
        )
    finally:
        services.sync.stop()
        await api.aclose()
        services.runner.shutdown()
        cache.close()


def measure_full_sync(
    loop: asyncio.AbstractEventLoop, base_url: str, email: str, password: str, cache_dir: Path
) -> SyncRun:
    """Run one watched full sync on ``loop`` (a qasync loop on the running QApplication)."""
    return loop.run_until_complete(_full_sync(base_url, email, password, cache_dir))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args, _rest = parser.parse_known_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    runs: list[SyncRun] = []
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        seed_started = time.perf_counter()
        logins = seed_database(work / "seed.sqlite3")
        seed_seconds = time.perf_counter() - seed_started
        login = admin_login(logins)
        for index in range(args.runs):
            database = copy_database(work / "seed.sqlite3", work / f"server-{index}.sqlite3")
            with server_process(database) as base_url:
                run = measure_full_sync(loop, base_url, login.email, login.password, work / f"cache-{index}")
            runs.append(run)
            print(
                f"run {index + 1}: {run.rows} rows in {run.pages} pages, {run.seconds:.2f} s; "
                f"apply {run.rows_per_second:,} rows/s; worst loop stall {run.worst_stall_ms:.1f} ms "
                f"(p99 tick gap {run.p99_gap_ms:.1f} ms over {run.ticks} ticks)"
            )
    loop.close()
    result: dict[str, Any] = {
        "benchmark": "desktop full sync with a 10 ms UI heartbeat",
        "scale": {"teams": TEAMS, "agents_per_team": AGENTS_PER_TEAM, "months": MONTHS, "kpis": 5},
        "seed_seconds": round(seed_seconds, 2),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "runs": [asdict(run) for run in runs],
        "summary": {
            "median_seconds": statistics.median(r.seconds for r in runs),
            "median_rows_per_second": statistics.median(r.rows_per_second for r in runs),
            "worst_stall_ms": max(r.worst_stall_ms for r in runs),
            "stall_budget_ms": 50,
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
