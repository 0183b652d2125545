"""Password policy after NIST SP 800-63B §5.1.1.2: length, and no well-known password.

No composition rules (they make passwords harder to remember, not to guess); instead a password
is refused when it is shorter than eight characters, is one character repeated, or is among the
most common passwords seen in breaches (a list shipped with the package).
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.resources import files
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 1024


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-case (a guesser tries ``Password1`` right after ``password1``)."""
    text = files("shared").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Why ``password`` may not be used, in plain words; ``None`` when it may."""
    normalised = unicodedata.normalize("NFKC", password)
    if len(normalised) < PASSWORD_MIN_LENGTH:
        return f"Use at least {PASSWORD_MIN_LENGTH} characters."
    if len(set(normalised)) == 1:
        return "One character repeated is too easy to guess; choose another password."
    if normalised.lower() in common_passwords():
        return "This password is one of the most common ones and easy to guess; choose another."
    return None


def _acceptable(password: str) -> str:
    problem = password_problem(password)
    if problem is not None:
        raise PydanticCustomError("password_too_weak", problem)
    return password


NewPassword = Annotated[
    str,
    Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH),
    AfterValidator(_acceptable),
]
"""A password someone chooses (not one they sign in with): the policy applies."""
