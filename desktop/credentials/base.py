"""The one small interface every credential store implements."""

from __future__ import annotations

from typing import Protocol


class CredentialStoreError(Exception):
    """The store exists but could not be read or written (locked keychain, unreadable file)."""


class NoKeyringBackend(CredentialStoreError):
    """No OS keychain is available (keyring's fail or null backend is active)."""


class CredentialStore(Protocol):
    """Keeps one (email, refresh token) per server URL. Blocking: call it from an executor."""

    def available(self) -> bool:
        """Whether the store can keep anything here (a keychain store without a keychain cannot)."""
        ...

    def save(self, server_url: str, email: str, token: str) -> None: ...

    def load(self, server_url: str) -> tuple[str, str] | None: ...

    def clear(self, server_url: str) -> None: ...
