"""``coachhub``: the desktop app; ``coachhub demo``: the app on an embedded demo server."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from desktop.extras import MissingPackage, required_for

APP = "The Coaching Hub app"
DEMO = "'coachhub demo' (the app on an embedded demo server)"
MISSING_PACKAGE_EXIT = 2


def has_display() -> bool:
    """Whether Qt can open windows here (offscreen counts: it renders without a screen)."""
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal")):
        return True
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coachhub", description="Coaching Hub desktop app")
    parser.add_argument("--server", help="server URL to sign in to (default: the last one used)")
    parser.add_argument(
        "--cache-dir", type=Path, help="where the local cache lives (default: platform cache dir)"
    )
    commands = parser.add_subparsers(dest="command")
    demo = commands.add_parser("demo", help="run the app on an embedded server with demo data")
    demo.add_argument(
        "--screenshot", type=Path, metavar="DIR", help="render every main screen to PNG files in DIR and exit"
    )
    demo.add_argument("--data-dir", type=Path, help="where the demo server keeps its database")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            return run_demo(args)
        with required_for(APP):
            from desktop.app import run_app
    except MissingPackage as missing:
        print(missing, file=sys.stderr)
        return MISSING_PACKAGE_EXIT
    return run_app(server_url=args.server, cache_dir=args.cache_dir)


def run_demo(args: argparse.Namespace) -> int:
    screenshot_dir: Path | None = args.screenshot
    if screenshot_dir is None and not has_display():
        screenshot_dir = Path(tempfile.gettempdir()) / "coachhub-demo-screenshots"
        print("No display found (DISPLAY / WAYLAND_DISPLAY unset), so the demo cannot open a window.")
        print("Rendering every screen to PNG instead.")
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if screenshot_dir is not None:
        with required_for(DEMO):
            from desktop.demo.screens import render_screenshots

        written = render_screenshots(screenshot_dir, data_dir=args.data_dir)
        print(f"Wrote {len(written)} screenshots to {screenshot_dir.resolve()}:")
        for path in written:
            print(f"  {path.name}")
        return 0
    with required_for(DEMO):
        from desktop.demo.app import run_demo_app

    return run_demo_app(data_dir=args.data_dir)


if __name__ == "__main__":
    raise SystemExit(main())
