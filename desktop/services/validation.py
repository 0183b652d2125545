"""A server's ``validation_error`` in plain words, per field.

The problem body lists each rejected value as ``{"loc", "message", "type"}``; the message is the
validator's own (English, technical). The screens show these words instead, next to the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_NUMBER = re.compile(r"\d[\d_,]*")

FIELD_NAMES = {
    "new_password": "New password",
    "password": "Password",
    "email": "Email",
    "token": "Reset token",
    "topic": "Topic",
    "notes": "Notes",
    "reason": "Reason",
}


def _limit(message: str) -> str:
    found = _NUMBER.search(message)
    return found.group().replace("_", "").replace(",", "") if found else ""


def plain_words(kind: str, message: str) -> str:
    """What a rejected value needs, said to a person rather than a programmer."""
    limit = _limit(message)
    if kind == "string_too_short" and limit not in ("", "1"):
        return f"Use at least {limit} characters."
    if kind in ("string_too_short", "missing"):
        return "Fill this in."
    if kind == "string_too_long":
        return f"Use at most {limit} characters." if limit else "This is too long."
    if "email" in message.lower():
        return "That is not an email address."
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "This value is out of range."
    return "This value is not accepted."


def field_errors(problem: Mapping[str, Any]) -> dict[str, str]:
    """Field name (the last name in each error's ``loc``) → plain words; the first error per field."""
    found: dict[str, str] = {}
    items: Iterable[Any] = problem.get("errors") or []
    for item in items:
        if not isinstance(item, dict):
            continue
        names = [part for part in item.get("loc") or [] if isinstance(part, str) and part != "body"]
        field = names[-1] if names else ""
        # The server sends "message"; pydantic's own errors (checked before sending) say "msg".
        message = str(item.get("message", item.get("msg", "")))
        found.setdefault(field, plain_words(str(item.get("type", "")), message))
    return found


def summary(fields: Mapping[str, str]) -> str:
    """One line for a banner: each field's name and what it needs."""
    parts = [f"{field_name(name)}: {words}" if name else words for name, words in fields.items()]
    return " ".join(parts)


def field_name(name: str) -> str:
    return FIELD_NAMES.get(name, name.replace("_", " ").capitalize())
