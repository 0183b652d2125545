"""``coachhub demo --screenshot DIR``: a real process renders every main screen to a non-blank PNG."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from desktop import cli
from desktop.demo.screens import SCREENS

DEMO_TIMEOUT_S = 240


def pixel_spread(path: Path) -> tuple[float, int]:
    """Variance of the grey level over a grid of samples, and how many distinct colours it hit."""
    image = QImage(str(path))
    assert not image.isNull(), path
    greys: list[int] = []
    colours: set[int] = set()
    steps = 60
    for i in range(steps):
        for j in range(steps):
            x = image.width() * i // steps
            y = image.height() * j // steps
            rgb = image.pixel(x, y) & 0xFFFFFF
            colours.add(rgb)
            greys.append(((rgb >> 16) + ((rgb >> 8) & 0xFF) + (rgb & 0xFF)) // 3)
    mean = sum(greys) / len(greys)
    return sum((g - mean) ** 2 for g in greys) / len(greys), len(colours)


@pytest.mark.slow
def test_demo_screenshot_renders_every_main_screen(tmp_path: Path, qapp: object) -> None:
    out = tmp_path / "shots"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop",
            "demo",
            "--screenshot",
            str(out),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=DEMO_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_every_screen_rendered(out)
    assert str(out.resolve()) in result.stdout


def assert_every_screen_rendered(out: Path) -> None:
    """One PNG per main screen in ``out``, each a real picture rather than a blank surface."""
    assert sorted(path.stem for path in out.glob("*.png")) == sorted(SCREENS)
    for name in SCREENS:
        variance, colours = pixel_spread(out / f"{name}.png")
        assert variance > 50, f"{name}.png looks blank (variance {variance:.1f})"
        assert colours > 8, f"{name}.png has only {colours} colours"


def test_pixel_spread_tells_a_blank_image(tmp_path: Path, qapp: object) -> None:
    blank = QImage(200, 100, QImage.Format.Format_RGB32)
    blank.fill(0xFFFFFF)
    blank.save(str(tmp_path / "blank.png"))
    assert pixel_spread(tmp_path / "blank.png") == (0.0, 1)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, False),
        ({"DISPLAY": ":0"}, True),
        ({"WAYLAND_DISPLAY": "wayland-0"}, True),
        ({"QT_QPA_PLATFORM": "offscreen"}, True),
    ],
)
def test_has_display(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: bool) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert cli.has_display() is expected


def test_demo_without_a_display_writes_screenshots_and_says_where(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "platform", "linux")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    rendered: list[Path] = []

    def fake_render(out_dir: Path, data_dir: Path | None = None) -> list[Path]:
        rendered.append(out_dir)
        assert os.environ["QT_QPA_PLATFORM"] == "offscreen"
        return [out_dir / f"{name}.png" for name in SCREENS]

    monkeypatch.setattr("desktop.demo.screens.render_screenshots", fake_render)
    assert cli.main(["demo"]) == 0
    output = capsys.readouterr().out
    assert "No display" in output
    assert len(rendered) == 1
    assert str(rendered[0].resolve()) in output
