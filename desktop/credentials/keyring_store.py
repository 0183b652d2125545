"""The OS keychain through ``keyring``; refuses to pretend when there is no backend."""

from __future__ import annotations

import json

import keyring
import keyring.backends.fail
import keyring.backends.null
import keyring.errors

from desktop.credentials.base import CredentialStoreError, NoKeyringBackend

SERVICE = "coachhub"


def keyring_available() -> bool:
    """False when keyring fell back to its fail or null backend (typical of headless Linux)."""
    backend = keyring.get_keyring()
    return not isinstance(backend, keyring.backends.fail.Keyring | keyring.backends.null.Keyring)


class KeyringStore:
    """One keychain entry per server URL holding ``{"email", "token"}``."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def available(self) -> bool:
        return keyring_available()

    def _require_backend(self) -> None:
        if not keyring_available():
            raise NoKeyringBackend(
                "No system keychain is available, so the sign-in cannot be remembered securely."
            )

    def save(self, server_url: str, email: str, token: str) -> None:
        self._require_backend()
        try:
            keyring.set_password(self.service, server_url, json.dumps({"email": email, "token": token}))
        except keyring.errors.KeyringError as exc:
            raise CredentialStoreError(f"The keychain refused to store the sign-in: {exc}") from exc

    def load(self, server_url: str) -> tuple[str, str] | None:
        if not keyring_available():
            return None
        try:
            raw = keyring.get_password(self.service, server_url)
        except keyring.errors.KeyringError as exc:
            raise CredentialStoreError(f"The keychain could not be read: {exc}") from exc
        if raw is None:
            return None
        try:
            entry = json.loads(raw)
            return str(entry["email"]), str(entry["token"])
        except (ValueError, KeyError, TypeError):
            return None

    def clear(self, server_url: str) -> None:
        if not keyring_available():
            return
        try:
            keyring.delete_password(self.service, server_url)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing was stored
        except keyring.errors.KeyringError as exc:
            raise CredentialStoreError(f"The keychain entry could not be removed: {exc}") from exc
