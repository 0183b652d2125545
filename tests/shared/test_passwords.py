"""The password policy: length, one repeated character, and the shipped list of common passwords."""

from __future__ import annotations

import pytest

from shared.passwords import common_passwords, password_problem

REFUSED = ["password", "12345678", " " * 8, "PassWord", "aaaaaaaaaaaa", "qwertyuiop", "short"]
ACCEPTED = ["correct horse battery", "tea at nine, not ten", "ünïcödé-pässwörd"]


@pytest.mark.parametrize("password", REFUSED)
def test_weak_passwords_are_refused_in_plain_words(password: str) -> None:
    problem = password_problem(password)
    assert problem is not None and problem.endswith(".") and "_" not in problem


@pytest.mark.parametrize("password", ACCEPTED)
def test_long_uncommon_passwords_pass(password: str) -> None:
    assert password_problem(password) is None


def test_the_list_ships_with_the_package_and_holds_thousands() -> None:
    passwords = common_passwords()
    assert len(passwords) >= 5000
    assert all(len(entry) >= 8 and entry == entry.lower() for entry in passwords)
