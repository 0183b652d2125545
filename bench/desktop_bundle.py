"""The desktop bundle from ``make package``: its size, and how long it takes to start.

Start-up is measured to the first rendered screen: ``coachhub demo --screenshot DIR`` offscreen,
from the process start until ``01-sign-in.png`` is on disk — the bootloader, the Python runtime,
Qt, the embedded server starting on an already-seeded demo database, and one screen rendered. The
same is measured for the source install (``python -m desktop``) as the baseline, and a first run on a
fresh data directory (migrations and demo seeding included) once. ``coachhub --help`` times the
bundle's bootloader and interpreter alone.

Run ``make package`` first. ``python -m bench.desktop_bundle [BUNDLE_DIR]`` (default
``dist/coachhub``) prints the figures and writes ``bench/results/desktop_bundle.json``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_BUNDLE = ROOT / "dist" / "coachhub"
RESULTS = Path(__file__).with_name("results") / "desktop_bundle.json"
RUNS = 3
FIRST_SCREEN = "01-sign-in.png"
POLL_S = 0.01
TIMEOUT_S = 300.0


def folder_size(folder: Path) -> tuple[int, int]:
    files = [path for path in folder.rglob("*") if path.is_file() and not path.is_symlink()]
    return sum(path.stat().st_size for path in files), len(files)


def time_to_first_screen(command: list[str], work: Path, data_dir: Path) -> tuple[float, float]:
    """Seconds until the first screenshot exists, and until the process has rendered them all."""
    shots = work / f"shots-{time.monotonic_ns()}"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    log_path = shots.with_suffix(".log")
    started = time.perf_counter()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*command, "demo", "--screenshot", str(shots), "--data-dir", str(data_dir)],
            cwd=work,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    first: float | None = None
    # Polling a file: the process is another program, with no signal to wait on.
    while process.poll() is None and time.perf_counter() - started < TIMEOUT_S:
        if first is None and (shots / FIRST_SCREEN).exists():
            first = time.perf_counter() - started
        time.sleep(POLL_S)
    total = time.perf_counter() - started
    if process.wait(timeout=TIMEOUT_S) != 0:
        tail = log_path.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{command} exited with {process.returncode}:\n{tail}")
    return (first if first is not None else total), total


def time_help(executable: Path) -> float:
    started = time.perf_counter()
    subprocess.run([str(executable), "--help"], check=True, capture_output=True)
    return time.perf_counter() - started


def main(bundle: Path = DEFAULT_BUNDLE) -> None:
    executable = bundle / "coachhub"
    if not executable.exists():
        raise SystemExit(f"no bundle at {bundle}: run `make package` first")
    size, files = folder_size(bundle)
    print(f"bundle {bundle}: {size / 2**20:.0f} MiB in {files} files")
    with tempfile.TemporaryDirectory(prefix="coachhub-bench-") as tmp:
        work = Path(tmp)
        help_s = statistics.median(time_help(executable) for _ in range(RUNS))
        print(f"coachhub --help: {help_s:.2f} s (median of {RUNS})")
        cold_first, cold_total = time_to_first_screen([str(executable)], work, work / "bundle-data")
        print(f"bundle, fresh data dir: first screen {cold_first:.2f} s, all 10 screens {cold_total:.1f} s")
        figures: dict[str, list[tuple[float, float]]] = {"bundle": [], "source": []}
        commands = {"bundle": [str(executable)], "source": [sys.executable, "-m", "desktop"]}
        for name, command in commands.items():
            data_dir = work / f"{name}-data"
            time_to_first_screen(command, work, data_dir)  # seeds; not counted
            for _ in range(RUNS):
                figures[name].append(time_to_first_screen(command, work, data_dir))
            firsts = [first for first, _ in figures[name]]
            totals = [total for _, total in figures[name]]
            print(
                f"{name}, seeded data dir: first screen median {statistics.median(firsts):.2f} s "
                f"(runs {', '.join(f'{value:.2f}' for value in firsts)}), "
                f"all 10 screens median {statistics.median(totals):.1f} s"
            )
    result = {
        "bundle_bytes": size,
        "bundle_files": files,
        "help_s": help_s,
        "fresh_first_screen_s": cold_first,
        "fresh_all_screens_s": cold_total,
        "seeded": {
            name: [{"first_screen_s": f, "all_screens_s": t} for f, t in runs]
            for name, runs in figures.items()
        },
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_BUNDLE)
