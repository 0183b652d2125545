"""A bounded ``schemathesis run --checks all`` in the test run, as an admin and as a team leader.

``make fuzz`` runs the same with many more examples (``tests/contract/fuzz.py``). Seeded, so a red
run reproduces.
"""

from __future__ import annotations

import pytest

from tests import databases
from tests.contract.fuzz import run

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 5
SEED = 11


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_schemathesis_checks_all_find_nothing(backend: str) -> None:
    if backend == "postgres":
        databases.require_postgres()
    assert run(backend, MAX_EXAMPLES, SEED) == 0, "schemathesis reported failures; its output is above"
