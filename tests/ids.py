"""Readable test ids that are UUIDs, as every id on the wire must be."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("6f1c2a7e-3b1d-4f7a-9c55-0d6c1e2b3a49")


def uid(label: str) -> str:
    """The same UUID for the same label, so a test can say ``uid("t1")`` where it means team t1."""
    return str(uuid.uuid5(_NAMESPACE, label))
