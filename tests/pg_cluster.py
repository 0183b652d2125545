"""A PostgreSQL cluster of a test's own, in a temporary directory on a free port, for fault tests.

The test may stop it, start it again, or freeze it (SIGSTOP on every one of its processes) —
never the shared server on 5432. ``initdb`` refuses to run as root, so as root the cluster runs
as the ``postgres`` OS user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from tests.live_server import free_port

READY_TIMEOUT = 30.0


def postgres_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` with ``initdb``, or where ``PATH`` finds it."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


class PostgresCluster:
    """``initdb`` + ``pg_ctl`` on ``port``, data under ``directory``."""

    def __init__(self, bin_dir: Path) -> None:
        # Its own directory under the temp dir: pytest's are private to root, and the cluster may
        # run as another user.
        self.directory = Path(tempfile.mkdtemp(prefix="coachhub-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.bin_dir = bin_dir
        self.port = free_port()
        self._user: str | None = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", self._user, "--"] if self._user else []
        result = subprocess.run([*prefix, *command], capture_output=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{command[0]} failed: {result.stderr.decode(errors='replace')}")

    def init(self) -> None:
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
            "-E", "UTF8", "--no-sync",
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "-t", str(int(READY_TIMEOUT)), "start")

    def stop(self) -> None:
        """A fast shutdown: open connections are ended, as in a real outage."""
        self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def _pids(self) -> list[int]:
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for status in Path("/proc").glob("[0-9]*/status"):
            try:
                lines = status.read_text().splitlines()
                fields = dict(line.split(":\t", 1) for line in lines if ":\t" in line)
            except OSError:
                continue
            if fields.get("PPid", "").strip() == str(postmaster):
                children.append(int(status.parent.name))
        return [postmaster, *children]

    def freeze(self) -> None:
        """Every process of the cluster stops where it is: connections stay open, nothing answers."""
        for pid in self._pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self._pids():
            os.kill(pid, signal.SIGCONT)

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            result = subprocess.run(
                [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if result.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"the test cluster on {self.port} did not come up")

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.thaw()
                self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
