"""``make package``: the one-folder desktop bundle, started as a user would start it, renders every
main screen of the demo — so the embedded server, its migrations and Qt's offscreen platform are in
it — and ships a Linux desktop entry with its icon."""

from __future__ import annotations

import configparser
import os
import time
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from tests.desktop.test_demo import assert_every_screen_rendered
from tests.packaging.processes import attempt, clean_env, run

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 900
DEMO_TIMEOUT_S = 240

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle built from this tree by ``make package`` into a temporary folder."""
    out = tmp_path_factory.mktemp("package")
    started = time.monotonic()
    package = [
        "make",
        "--no-print-directory",
        "package",
        f"PACKAGE_DIST={out / 'dist'}",
        f"PACKAGE_WORK={out / 'work'}",
    ]
    run(package, cwd=ROOT, timeout=BUILD_TIMEOUT_S)
    print(f"make package took {time.monotonic() - started:.0f} s")
    return out / "dist" / "coachhub"


def test_bundled_demo_renders_every_main_screen(bundle: Path, tmp_path: Path, qapp: object) -> None:
    shots = tmp_path / "shots"
    result = attempt(
        [bundle / "coachhub", "demo", "--screenshot", shots, "--data-dir", tmp_path / "data"],
        cwd=tmp_path,  # nothing of the source tree within reach
        env=clean_env(QT_QPA_PLATFORM="offscreen"),
        timeout=DEMO_TIMEOUT_S,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert_every_screen_rendered(shots)


def test_bundle_has_a_linux_desktop_entry_and_its_icon(bundle: Path, qapp: object) -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(bundle / "coachhub.desktop", encoding="utf-8")
    fields = entry["Desktop Entry"]
    assert fields["Type"] == "Application"
    assert os.access(bundle / fields["Exec"].split()[0], os.X_OK)
    icon = QImage(str(bundle / f"{fields['Icon']}.png"))
    assert (icon.width(), icon.height()) == (256, 256)
