"""What to tell a user whose installation lacks a package a command needs.

``pip install coachhub`` alone installs only the wire contract; the app and the demo's embedded
server come with the ``desktop`` extra. Without it a command names the missing package and the one
line that installs it, instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

DESKTOP_INSTALL = "pip install 'coachhub[desktop]'"
OWN_PACKAGES = ("desktop", "shared")
"""A missing module of ours is a broken build, not a missing extra: that one is re-raised."""


class MissingPackage(Exception):
    """A command cannot run because a third-party package (or the bundled server) is not installed."""

    def __init__(self, purpose: str, package: str) -> None:
        super().__init__(
            f"{purpose} needs the Python package '{package}', which is not installed here.\n"
            f"Install the desktop app with everything it needs:\n    {DESKTOP_INSTALL}"
        )
        self.package = package


@contextmanager
def required_for(purpose: str) -> Iterator[None]:
    """Turn a ``ModuleNotFoundError`` for a third-party package inside the block into ``MissingPackage``."""
    try:
        yield
    except ModuleNotFoundError as error:
        package = (error.name or "").split(".", 1)[0]
        if not package or package in OWN_PACKAGES:
            raise
        raise MissingPackage(purpose, package) from error
