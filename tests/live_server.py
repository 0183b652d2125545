"""Real server processes for tests: uvicorn with one or more workers over a given database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

# tests/live_server.py -> the checkout: uvicorn imports ``server`` from here, not from an install.
REPO_ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    database_url: str
    backend: str
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(
    database_url: str,
    log_path: Path,
    workers: int = WORKERS,
    *,
    app: str = "server.app:create_app",
    factory: bool = True,
    port: int | None = None,
    **env: str,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start uvicorn with ``workers`` processes (on ``port``, else a free one); returns the
    process and its base URL once ready.

    ``app`` names an app factory, or with ``factory=False`` an ASGI app (which must answer /readyz).
    """
    port = port or free_port()
    environment = {
        **os.environ,
        "COACHHUB_DATABASE_URL": database_url,
        # Bursts of 50 requests queue for a connection; give them time instead of shedding load.
        "COACHHUB_POOL_TIMEOUT": "20",
        # Races of password changes need their hashes to run side by side, not be shed.
        "COACHHUB_PASSWORD_HASH_CONCURRENCY": "16",
        **env,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        *(["--factory"] if factory else []),
        "--workers",
        str(workers),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-proxy-headers",
        "--log-level",
        "warning",
    ]
    log = log_path.open("ab")
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1.0).status_code == 200:
                return process, base_url
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_server(process)
    raise RuntimeError(f"the server was not ready within {START_TIMEOUT}s:\n{log_path.read_text()}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)
