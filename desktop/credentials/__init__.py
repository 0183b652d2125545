"""Where a remembered sign-in is kept: the OS keychain, an opt-in plain file, or memory (tests).

Only the refresh token and the email are kept, never a password.
"""

from desktop.credentials.base import CredentialStore, CredentialStoreError, NoKeyringBackend
from desktop.credentials.keyring_store import KeyringStore
from desktop.credentials.memory import MemoryStore
from desktop.credentials.plain_file import PlainFileStore

__all__ = [
    "CredentialStore",
    "CredentialStoreError",
    "KeyringStore",
    "MemoryStore",
    "NoKeyringBackend",
    "PlainFileStore",
]
