"""Concurrent signed-in clients for ``bench.http_load``, run in a process of their own.

    python -m bench.load_driver PLAN.json   (prints one JSON result line)

The plan names a base URL, one ``(path, token)`` pair per client, a duration and a warm-up. Every
client loops over its own request on one kept-alive connection until the time is up; only answers
that arrive within the measured window (after the warm-up, before the end) are counted.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

REQUEST_TIMEOUT = 60.0


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: int = 0  # no HTTP answer at all (connection reset, timeout)
    answered_in_all: int = 0  # warm-up included: what the server's CPU time was spent on

    def add(self, status: int, elapsed: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.latencies_ms.append(elapsed * 1000)


def percentile(ordered: list[float], fraction: float) -> float | None:
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))], 1)


async def client(
    session: aiohttp.ClientSession, url: str, token: str, measure_from: float, until: float, tally: Tally
) -> None:
    """Request after request until ``until``; counts the answers that arrive inside the window.

    Counting by arrival (not by start) measures an endpoint slower than the window too: the
    audit's manager dashboard takes seconds per answer under load.
    """
    headers = {"Authorization": f"Bearer {token}"}
    while (started := time.perf_counter()) < until:
        try:
            async with session.get(url, headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError):
            tally.answered_in_all += 1
            if measure_from <= time.perf_counter() <= until:
                tally.failures += 1
            continue
        tally.answered_in_all += 1
        finished = time.perf_counter()
        if measure_from <= finished <= until:
            tally.add(status, finished - started)


async def drive(plan: dict[str, Any]) -> dict[str, Any]:
    clients: list[tuple[str, str]] = [tuple(pair) for pair in plan["clients"]]
    connector = aiohttp.TCPConnector(limit=len(clients))
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    tally = Tally()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        start = time.perf_counter()
        measure_from, until = start + plan["warmup"], start + plan["warmup"] + plan["duration"]
        await asyncio.gather(
            *(
                client(session, plan["base_url"] + path, token, measure_from, until, tally)
                for path, token in clients
            )
        )
        elapsed = until - measure_from
    ordered = sorted(tally.latencies_ms)
    ok = len(ordered)
    shed = tally.statuses.get(503, 0)
    answered = sum(tally.statuses.values())
    return {
        "ok": ok,
        "seconds": round(elapsed, 2),
        "throughput": round(ok / elapsed, 1),
        "p50_ms": percentile(ordered, 0.5),
        "p95_ms": percentile(ordered, 0.95),
        "shed": shed,
        "shed_share": round(shed / answered, 4) if answered else 0.0,
        "errors": answered - ok - shed + tally.failures,
        "statuses": {str(k): v for k, v in sorted(tally.statuses.items())},
        "answered_in_all": tally.answered_in_all,
    }


def main() -> None:
    with open(sys.argv[1]) as file:
        plan = json.load(file)
    print(json.dumps(asyncio.run(drive(plan))), flush=True)


if __name__ == "__main__":
    main()
