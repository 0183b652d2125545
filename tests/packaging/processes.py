"""Running what was built (a wheel's commands, the bundle) as separate programs, away from the tree."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


def clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that would put the source tree on the path."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return {**env, **extra}


def attempt(
    command: Sequence[str | Path], *, cwd: Path, env: dict[str, str] | None = None, timeout: float
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run(
    command: Sequence[str | Path], *, cwd: Path, env: dict[str, str] | None = None, timeout: float
) -> str:
    """``command``'s output; it must succeed."""
    result = attempt(command, cwd=cwd, env=env, timeout=timeout)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stderr[-4000:]}"
    return result.stdout
