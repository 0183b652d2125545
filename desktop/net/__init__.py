"""The HTTP client of the server API: bearer tokens, refresh, ETags and problem+json errors."""

from desktop.net.client import ApiClient
from desktop.net.errors import ApiError, IncompatibleServer, ServerUnreachable

__all__ = ["ApiClient", "ApiError", "IncompatibleServer", "ServerUnreachable"]
