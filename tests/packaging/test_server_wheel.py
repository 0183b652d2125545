"""The released server: wheel and sdist built from the tree, the wheel installed with ``[server]`` the
way the server image installs it, and the installed ``coachhub-server`` migrating, seeding and serving
a fresh PostgreSQL database — from a folder with no source tree in sight, and without Qt."""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import httpx
import pytest

from shared.version import API_VERSION, package_version
from tests.live_server import free_port
from tests.packaging.processes import attempt, clean_env, run

ROOT = Path(__file__).resolve().parents[2]
INSTALL_SCRIPT = ROOT / "packaging" / "install-server.sh"
BUILD_TIMEOUT_S = 300
INSTALL_TIMEOUT_S = 600
COMMAND_TIMEOUT_S = 120
SERVE_TIMEOUT_S = 30.0
DESKTOP_ONLY = {"pyside6", "pyside6-essentials", "shiboken6", "qasync", "pyqtgraph", "keyring"}
MIGRATIONS = "server/db/migrations"

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m build``: the sdist, then the wheel built from that sdist (so both must be whole)."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--outdir", out, ROOT], cwd=ROOT, timeout=BUILD_TIMEOUT_S)
    return out


@pytest.fixture(scope="module")
def server_venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("server-install") / "venv"
    (wheel,) = dist.glob("coachhub-*.whl")
    run(["sh", INSTALL_SCRIPT, venv, wheel], cwd=venv.parent, env=clean_env(), timeout=INSTALL_TIMEOUT_S)
    return venv


def installed_distributions(venv: Path) -> set[str]:
    listing = run(
        [
            venv / "bin" / "python",
            "-c",
            "import json, importlib.metadata as m; "
            "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))",
        ],
        cwd=venv,
        timeout=COMMAND_TIMEOUT_S,
    )
    return {name.lower() for name in json.loads(listing)}


def test_sdist_and_wheel_carry_the_migrations(dist: Path) -> None:
    (sdist,) = dist.glob("coachhub-*.tar.gz")
    (wheel,) = dist.glob("coachhub-*.whl")
    assert wheel.name.startswith(f"coachhub-{package_version()}-")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    assert any(name.endswith(f"{MIGRATIONS}/env.py") for name in names)
    assert any(f"{MIGRATIONS}/versions/" in name for name in names)


def test_server_install_has_no_qt(server_venv: Path) -> None:
    installed = installed_distributions(server_venv)
    assert "coachhub" in installed
    assert {"starlette", "uvicorn", "asyncpg", "alembic"} <= installed
    assert installed & DESKTOP_ONLY == set()


def test_desktop_command_in_a_server_install_says_what_to_install(server_venv: Path, tmp_path: Path) -> None:
    result = attempt(
        [server_venv / "bin" / "coachhub", "demo", "--screenshot", tmp_path / "shots"],
        cwd=tmp_path,
        env=clean_env(QT_QPA_PLATFORM="offscreen"),
        timeout=COMMAND_TIMEOUT_S,
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'coachhub[desktop]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_installed_server_migrates_seeds_and_serves_postgres(
    server_venv: Path, empty_postgres: str, tmp_path: Path
) -> None:
    env = clean_env(COACHHUB_DATABASE_URL=empty_postgres, COACHHUB_SECRET_KEY="wheel-test")
    server = server_venv / "bin" / "coachhub-server"
    where = run(
        [server_venv / "bin" / "python", "-c", "import server; print(server.__file__)"],
        cwd=tmp_path,
        env=env,
        timeout=COMMAND_TIMEOUT_S,
    )
    assert Path(where.strip()).is_relative_to(server_venv), "the server must come from the install"

    assert "latest schema" in run([server, "migrate"], cwd=tmp_path, env=env, timeout=COMMAND_TIMEOUT_S)
    seeded = run(
        [server, "seed-demo", "--teams", "1", "--agents-per-team", "2", "--months", "2"],
        cwd=tmp_path,
        env=env,
        timeout=COMMAND_TIMEOUT_S,
    )
    leader = next(line.split()[1] for line in seeded.splitlines() if "team_leader" in line)

    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(server), "serve", "--port", str(port), "--log-level", "warning"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        assert wait_ready(base, process), log_path.read_text()
        version = httpx.get(f"{base}/api/v1/version").json()
        assert version == {"server_version": package_version(), "api_version": API_VERSION}
        login = httpx.post(f"{base}/api/v1/auth/login", json={"email": leader, "password": "demo-password"})
        assert login.status_code == 200, login.text
    finally:
        process.terminate()
        process.wait(timeout=10)


def wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> bool:
    """Poll ``/readyz`` until it answers 200 (the server is a separate process we cannot await)."""
    deadline = time.monotonic() + SERVE_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1.0).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False
