"""A database that is down, restarting or hung is a 503, not a 500.

Connection-level failures say nothing about the request: the connection was refused, dropped or
never answered (PostgreSQL stopped, restarting, or frozen). They surface in many shapes — an
``OSError`` from the socket, a ``TimeoutError`` from the driver's own timeouts, asyncpg's
``ConnectionDoesNotExistError`` / ``InterfaceError`` / ``CannotConnectNowError`` and SQLAlchemy's
wrappers of them — and each becomes :class:`DatabaseUnavailable`, a ``503 overloaded`` with
``Retry-After``. The pool drops a connection that failed this way, so once the database is back
the next requests succeed without a restart.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, InterfaceError

from server.db.retry import sqlstate
from server.problems import ProblemError
from shared.errors import ErrorCode

log = logging.getLogger(__name__)

RETRY_AFTER_UNAVAILABLE = 2
CONNECTION_EXCEPTION_CLASS = "08"  # SQLSTATE class: connection exception
UNAVAILABLE_SQLSTATES = frozenset(
    {
        "57P01",  # admin_shutdown: the server is stopping
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now: starting up or shutting down
        "57014",  # query_canceled: the statement timeout ran out
        "53300",  # too_many_connections
    }
)
CONNECTION_ERRNOS = frozenset(
    {errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH, errno.ENETUNREACH,
     errno.ETIMEDOUT, errno.EPIPE}
)


class DatabaseUnavailable(ProblemError):
    """The database could not be reached or did not answer in time: ``503`` with ``Retry-After``."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.OVERLOADED,
            "The database is not reachable right now; retry shortly.",
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
        )


def _is_socket_fault(error: BaseException) -> bool:
    if isinstance(error, (ConnectionError, TimeoutError)):
        return True
    # asyncpg tries every address of the host and raises a plain OSError naming them all.
    return isinstance(error, OSError) and (
        error.errno in CONNECTION_ERRNOS or "Connect call failed" in str(error)
    )


def _sqlstate(error: BaseException) -> str:
    if isinstance(error, DBAPIError):
        return sqlstate(error) or ""
    # asyncpg raises some errors of its own unwrapped, e.g. CannotConnectNowError while connecting.
    code = getattr(error, "sqlstate", None)
    return str(code) if code is not None else ""


def _is_driver_fault(error: BaseException) -> bool:
    code = _sqlstate(error)
    if code.startswith(CONNECTION_EXCEPTION_CLASS) or code in UNAVAILABLE_SQLSTATES:
        return True
    # asyncpg's client-side errors (a closed connection) carry no SQLSTATE.
    return type(error).__name__ in ("InterfaceError", "ConnectionDoesNotExistError")


def is_connection_fault(error: BaseException) -> bool:
    """Whether ``error`` means the database is unreachable or unresponsive, not a bad statement."""
    if _is_socket_fault(error) or _is_driver_fault(error):
        return True
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    cause = error.orig.__cause__ if error.orig is not None else None
    return cause is not None and (_is_socket_fault(cause) or _is_driver_fault(cause))


@contextmanager
def connection_faults_unavailable() -> Iterator[None]:
    """Inside: a connection-level failure leaves as :class:`DatabaseUnavailable`."""
    try:
        yield
    except Exception as error:
        if not is_connection_fault(error):
            raise
        # The class name only: a driver's message can quote the statement and its parameters.
        driver_error = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
        log.warning("database unavailable: %s", type(driver_error).__name__)
        raise DatabaseUnavailable() from error
