"""SQLite database files that only their owner can read: they hold password hashes and tokens'
digests. SQLite gives its -wal and -shm files the mode of the database file, so creating that
file 0600 before SQLite does covers all three."""

from __future__ import annotations

import os
from contextlib import suppress
from pathlib import Path

from sqlalchemy.engine import make_url

PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600


def create_private_sqlite_file(database_url: str) -> None:
    """Create the SQLite file of ``database_url`` owner-only if it does not exist yet."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return
    path = Path(url.database)
    try:
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
        with suppress(FileExistsError):  # an existing database keeps the mode its owner gave it
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    except OSError:
        # A place that cannot hold the file: SQLite says so on connecting, which every request
        # (and /readyz) answers as 503 — the server still starts and recovers once it is fixed.
        return
