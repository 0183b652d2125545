"""A credential store in memory, for tests and for "do not remember me"."""

from __future__ import annotations


class MemoryStore:
    """Forgets everything when the process ends."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[str, str]] = {}

    def available(self) -> bool:
        return True

    def save(self, server_url: str, email: str, token: str) -> None:
        self.entries[server_url] = (email, token)

    def load(self, server_url: str) -> tuple[str, str] | None:
        return self.entries.get(server_url)

    def clear(self, server_url: str) -> None:
        self.entries.pop(server_url, None)
