"""Which release a program is, and which API it speaks: how the app and a server know each other."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from pydantic import BaseModel, ConfigDict, Field

DISTRIBUTION = "coachhub"
API_VERSION = "1.0"
"""``major.minor`` of the HTTP API under ``/api/v1``. A minor step only adds (fields, routes); a
major step changes or removes something, and a client refuses a server of another major."""


class ServerVersion(BaseModel):
    """``GET /api/v1/version``: the server's release and the API version it speaks."""

    model_config = ConfigDict(extra="ignore")

    server_version: str = Field(description="The release of the server, e.g. 0.1.0")
    api_version: str = Field(pattern=r"^[0-9]+\.[0-9]+$", description="major.minor of the HTTP API")

    @property
    def api_major(self) -> int:
        return api_major(self.api_version)


def api_major(api_version: str) -> int:
    return int(api_version.split(".", 1)[0])


def speaks(server: ServerVersion, client_api_version: str = API_VERSION) -> bool:
    """Whether a client of ``client_api_version`` can talk to ``server``: the same major."""
    return server.api_major == api_major(client_api_version)


def package_version() -> str:
    """This installation's release (``0.0.0`` when run from a tree that was never installed)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "0.0.0"
