"""The opaque sync cursor: base64 of a small JSON document with a version tag.

An increment cursor holds the change-log position the reader has seen everything up to. A
snapshot cursor holds that position as it was when the snapshot started, plus where the snapshot
is (the entity being paged and the last key sent). Both carry a digest of the reader's scope, so
a cursor taken under another scope is refused. Anything that does not decode is refused too: the
client answers a 410 by starting a fresh snapshot.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from server.problems import ProblemError
from shared.errors import ErrorCode

CURSOR_VERSION = 1
MAX_KEY_PARTS = 3  # a metric's (agent_id, period, kpi_code)
MAX_KEY_PART_LENGTH = 64


def _is_key_part(part: object) -> bool:
    """A key the databases can compare: text without NUL, with no lone surrogate, of id length."""
    if not isinstance(part, str) or "\x00" in part or len(part) > MAX_KEY_PART_LENGTH:
        return False
    try:
        part.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def cursor_expired(detail: str) -> ProblemError:
    return ProblemError(ErrorCode.CURSOR_EXPIRED, f"{detail} Start again with a full snapshot.")


@dataclass(frozen=True)
class Cursor:
    """Where a reader is: ``seq`` of the change log, and for a snapshot the position inside it."""

    seq: int
    scope: str
    entity: int | None = None  # snapshot only: index of the entity being paged
    after: tuple[str, ...] | None = None  # snapshot only: last key sent of that entity

    @property
    def in_snapshot(self) -> bool:
        return self.entity is not None

    def encode(self) -> str:
        document: dict[str, object] = {"v": CURSOR_VERSION, "seq": self.seq, "scope": self.scope}
        if self.entity is not None:
            document["snap"] = [self.entity, list(self.after) if self.after is not None else None]
        raw = json.dumps(document, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor in ``text``; 410 ``cursor_expired`` if it is not one this server wrote."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            document = json.loads(raw)
            if not isinstance(document, dict) or document.get("v") != CURSOR_VERSION:
                raise ValueError("unknown cursor version")
            seq, scope = document["seq"], document["scope"]
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or not isinstance(scope, str):
                raise ValueError("bad cursor fields")
            snap = document.get("snap")
            if snap is None:
                return cls(seq, scope)
            entity, after = snap
            if not isinstance(entity, int) or isinstance(entity, bool) or entity < 0:
                raise ValueError("bad snapshot position")
            if after is not None and not (
                isinstance(after, list) and 0 < len(after) <= MAX_KEY_PARTS and all(map(_is_key_part, after))
            ):
                raise ValueError("bad snapshot key")
            return cls(seq, scope, entity, tuple(after) if after is not None else None)
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError) as exc:
            raise cursor_expired("The sync cursor is not valid.") from exc
