"""The server address as typed in the sign-in form, made into a URL the client can call."""

from __future__ import annotations

from urllib.parse import urlsplit

SCHEMES = ("http", "https")


class BadAddress(ValueError):
    """The typed address cannot be a server's URL; the message says what is wrong, for the user."""


def server_url(typed: str) -> str:
    """``http://`` added when no scheme is typed (``127.0.0.1:8765``); no trailing slash.

    ``BadAddress`` for an empty address, a scheme other than http(s), or no host.
    """
    text = typed.strip()
    if not text:
        raise BadAddress("Enter the server address, e.g. https://coachhub.example.com.")
    if "://" not in text:
        text = f"http://{text}"
    text = text.rstrip("/")
    parts = urlsplit(text)
    if parts.scheme.lower() not in SCHEMES:
        raise BadAddress(
            f"The server address must start with http:// or https://, not {parts.scheme}://."
        )
    try:
        host, _port = parts.hostname, parts.port  # a port that is not a number raises here
    except ValueError as exc:
        raise BadAddress(f"{typed.strip()} has a port that is not a number.") from exc
    if not host or " " in text.strip():
        raise BadAddress(f"{typed.strip()} is not a server address, e.g. https://coachhub.example.com.")
    return text
