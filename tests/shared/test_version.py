from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.version import ServerVersion, speaks


@pytest.mark.parametrize(
    ("server_api", "client_api", "expected"),
    [
        ("1.0", "1.0", True),
        ("1.7", "1.0", True),
        ("1.0", "1.3", True),
        ("2.0", "1.0", False),
        ("0.9", "1.0", False),
    ],
)
def test_a_client_speaks_every_minor_of_its_major(server_api: str, client_api: str, expected: bool) -> None:
    server = ServerVersion(server_version="9.9.9", api_version=server_api)
    assert speaks(server, client_api) is expected


def test_an_api_version_is_major_dot_minor() -> None:
    with pytest.raises(ValidationError):
        ServerVersion(server_version="1.0.0", api_version="v1")
