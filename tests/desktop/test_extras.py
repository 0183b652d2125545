"""A command whose packages are not installed names the missing one and the line that installs it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop import cli
from desktop.extras import DESKTOP_INSTALL, MissingPackage, required_for


def forget_modules(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make the next import of ``names`` run their code again (restored after the test)."""
    for name in names:
        monkeypatch.delitem(sys.modules, name, raising=False)


DEMO_MODULES = ("desktop.demo", "desktop.demo.server")  # imported before by other tests, maybe


@pytest.mark.parametrize(
    ("argv", "missing", "reimported"),
    [
        (["demo", "--screenshot", "shots"], "uvicorn", (*DEMO_MODULES, "desktop.demo.screens")),
        (["demo"], "uvicorn", (*DEMO_MODULES, "desktop.demo.app")),
        ([], "qasync", ("desktop.app",)),
    ],
    ids=["demo-screenshots", "demo-window", "app"],
)
def test_a_missing_package_is_named_with_the_install_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    argv: list[str],
    missing: str,
    reimported: tuple[str, ...],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setitem(sys.modules, missing, None)  # as if it were not installed
    forget_modules(monkeypatch, *reimported)
    assert cli.main(argv) == cli.MISSING_PACKAGE_EXIT
    err = capsys.readouterr().err
    assert f"'{missing}'" in err
    assert DESKTOP_INSTALL in err
    assert not (tmp_path / "shots").exists()


def test_a_missing_module_of_our_own_is_a_broken_build_not_a_missing_extra() -> None:
    with pytest.raises(ModuleNotFoundError), required_for("x"):
        raise ModuleNotFoundError("No module named 'desktop.nothing'", name="desktop.nothing")
    with pytest.raises(MissingPackage, match="'server'"), required_for("x"):
        raise ModuleNotFoundError("No module named 'server'", name="server")
