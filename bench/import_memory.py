"""Memory of a server process through one large metrics import (~19 MB of CSV, 700,000 rows).

The server runs in its own process over a seeded SQLite database; its resident set (``VmRSS``)
and peak (``VmHWM``) are read from ``/proc`` before and after one ``POST /admin/metrics/import``.
A file read whole and parsed into lists grows the peak by many times the file's size; a streamed
import holds a chunk of rows at a time. Prints the figures and writes
``bench/results/import_memory.json``.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import httpx

from bench.desktop_server import admin_login, seed_database, server_process
from shared.types import period_add

TEAMS, AGENTS_PER_TEAM = 20, 50  # 1,000 agents, EMP00001 …
MONTHS = 140
KPIS = ("aht", "csat", "fcr", "qa", "adherence")
RESULTS = Path(__file__).with_name("results") / "import_memory.json"


def metrics_csv(path: Path) -> int:
    """Every agent, for ``MONTHS`` months, every KPI; returns the size in bytes."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("employee_code,period,kpi,value\n")
        for agent in range(1, TEAMS * AGENTS_PER_TEAM + 1):
            for month in range(MONTHS):
                period = period_add("2010-01", month)
                for index, kpi in enumerate(KPIS):
                    value = 300 + (agent + month) % 90 if kpi == "aht" else 60 + (agent + month + index) % 40
                    out.write(f"EMP{agent:05d},{period},{kpi},{value}\n")
    return path.stat().st_size


def memory_mib(pid: int) -> dict[str, float]:
    """The process's resident set now and its peak so far, in MiB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return {name: int(fields[name].split()[0]) / 1024 for name in ("VmRSS", "VmHWM")}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="coachhub-import-bench-") as tmp:
        directory = Path(tmp)
        database = directory / "server.sqlite3"
        logins = seed_database(database, teams=TEAMS, agents_per_team=AGENTS_PER_TEAM, months=1)
        admin = admin_login(logins)
        size = metrics_csv(directory / "metrics.csv")
        body = (directory / "metrics.csv").read_bytes()
        pids: list[int] = []
        with (
            server_process(database, on_start=pids.append) as base_url,
            httpx.Client(base_url=base_url, timeout=900) as http,
        ):
            token = http.post(
                "/api/v1/auth/login", json={"email": admin.email, "password": admin.password}
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
            before = memory_mib(pids[0])
            started = time.perf_counter()
            response = http.post("/api/v1/admin/metrics/import", content=body, headers=headers)
            seconds = time.perf_counter() - started
            after = memory_mib(pids[0])
        response.raise_for_status()
    report = {
        "csv_bytes": size,
        "rows": TEAMS * AGENTS_PER_TEAM * MONTHS * len(KPIS),
        "result": response.json(),
        "seconds": round(seconds, 1),
        "rss_before_mib": round(before["VmRSS"], 1),
        "peak_during_mib": round(after["VmHWM"], 1),
        "peak_growth_mib": round(after["VmHWM"] - before["VmHWM"], 1),
        "rss_after_mib": round(after["VmRSS"], 1),
    }
    for name, value in report.items():
        print(f"{name:>18}: {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
