"""What a desktop service may fail with: the only errors the UI catches.

Modelled on httpx's hierarchy: one base (``ServiceError``) for "the call did not succeed", split by
what the user can do about it. The HTTP client's and the cache's own errors stop at the services;
``speaks_service_errors`` turns them into these at every public service method.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, ParamSpec, TypeVar

from pydantic import ValidationError

from desktop.net import ApiError, IncompatibleServer, ServerUnreachable
from desktop.offline import NotInCache
from desktop.services.validation import field_errors, summary
from shared.errors import ErrorCode
from shared.sessions import Session, Slot

P = ParamSpec("P")
R = TypeVar("R")

UNREACHABLE_TEXT = "The server does not answer. Check the address and your connection."


class ServiceError(Exception):
    """A service call did not succeed; ``detail`` says why, in words for the user."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Offline(ServiceError):
    """The server is out of reach and the cache cannot answer this (or the call needs the server)."""


class WrongServer(ServiceError):
    """The address answers, but not as a Coaching Hub server this app can talk to."""


class Refused(ServiceError):
    """The server refused the call; ``code`` is the contract's machine-readable reason.

    ``fields`` (a ``validation_error``'s): field name → what its value needs, in plain words.
    """

    def __init__(self, code: ErrorCode, detail: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.fields: dict[str, str] = dict(fields or {})


class SlotConflict(Refused):
    """The coach or the agent is busy then: the sessions it clashes with and the nearest free slots."""

    def __init__(self, clashes: list[Session], suggestions: list[Slot], detail: str = "") -> None:
        super().__init__(ErrorCode.SLOT_CONFLICT, detail or "The time slot is taken.")
        self.clashes = clashes
        self.suggestions = suggestions


def refusal(error: ApiError) -> Refused:
    """The typed refusal of a problem answer; a slot conflict brings its clashes and suggestions."""
    if error.code is ErrorCode.VALIDATION_ERROR:
        fields = field_errors(error.problem)
        return Refused(error.code, summary(fields) if fields else error.detail, fields)
    if error.code is not ErrorCode.SLOT_CONFLICT:
        return Refused(error.code, error.detail)
    problem = error.problem
    return SlotConflict(
        [Session.model_validate(item) for item in problem.get("conflicts") or []],
        [Slot.model_validate(item) for item in problem.get("suggestions") or []],
        error.detail,
    )


def invalid_input(error: ValidationError) -> Refused:
    """A value the contract refuses before it is sent: refused in the words a server refusal gets."""
    fields = field_errors({"errors": error.errors(include_url=False, include_input=False)})
    return Refused(ErrorCode.VALIDATION_ERROR, summary(fields), fields)


def speaks_service_errors(
    method: Callable[P, Coroutine[Any, Any, R]],
) -> Callable[P, Coroutine[Any, Any, R]]:
    """Let a public service method fail only with ``ServiceError``s (the rest are bugs)."""

    @functools.wraps(method)
    async def translated(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except ServerUnreachable as exc:
            raise Offline(UNREACHABLE_TEXT) from exc
        except IncompatibleServer as exc:
            raise WrongServer(str(exc)) from exc
        except NotInCache as exc:
            raise Offline(str(exc)) from exc
        except ApiError as exc:
            raise refusal(exc) from exc
        except ValidationError as exc:
            raise invalid_input(exc) from exc

    return translated
