"""Credential stores: keychain (and its absence), opt-in plain file, memory. Never a password."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest

from desktop.credentials import KeyringStore, MemoryStore, NoKeyringBackend, PlainFileStore

URL = "https://coachhub.example"


class DictKeyring(keyring.backend.KeyringBackend):
    """A working keychain in memory."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.entries.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    yield
    keyring.set_keyring(previous)


def test_memory_store_round_trip() -> None:
    store = MemoryStore()
    store.save(URL, "lea@example.com", "chr_token")
    assert store.load(URL) == ("lea@example.com", "chr_token")
    store.clear(URL)
    assert store.load(URL) is None


def test_keyring_store_keeps_one_entry_per_server(restore_keyring: None) -> None:
    backend = DictKeyring()
    keyring.set_keyring(backend)
    store = KeyringStore()
    store.save(URL, "lea@example.com", "chr_1")
    store.save("https://other.example", "sam@example.com", "chr_2")
    assert store.load(URL) == ("lea@example.com", "chr_1")
    store.clear(URL)
    store.clear(URL)  # clearing twice is fine
    assert store.load(URL) is None
    assert store.load("https://other.example") == ("sam@example.com", "chr_2")


def test_keyring_store_refuses_without_a_backend(restore_keyring: None) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    store = KeyringStore()
    with pytest.raises(NoKeyringBackend):
        store.save(URL, "lea@example.com", "chr_1")
    assert store.load(URL) is None


def test_plain_file_store_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "config" / "credentials.json"
    store = PlainFileStore(path)
    store.save(URL, "lea@example.com", "chr_1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PlainFileStore(path).load(URL) == ("lea@example.com", "chr_1")
    store.clear(URL)
    assert store.load(URL) is None
    assert "chr_1" not in path.read_text()
