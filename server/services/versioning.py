"""Version-checked writes: ``UPDATE ... WHERE pk AND version = :expected``, bumping by one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.problems import ProblemError
from shared.errors import ErrorCode

Row = TypeVar("Row")

# ``version`` is an Integer column (32-bit on PostgreSQL): a larger If-Match can only be stale, and
# binding it as a parameter would overflow the driver.
MAX_VERSION = 2**31 - 1


async def update_versioned(
    session: AsyncSession,
    model: type[Row],
    where: ColumnElement[bool],
    expected_version: int,
    values: dict[str, Any],
    shape: Callable[[Row], BaseModel],
) -> Row:
    """Apply ``values`` if the row still has ``expected_version``; else 412 with the current row.

    The caller has already checked the row exists and is in scope.
    """
    version_column: Any = model.version  # type: ignore[attr-defined]
    row = None
    if 0 < expected_version <= MAX_VERSION:
        result = await session.execute(
            update(model)
            .where(where, version_column == expected_version)
            .values(**values, version=version_column + 1)
            .returning(model)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        row = result.scalar_one_or_none()
    if row is None:
        current = (await session.execute(_select(model, where))).scalar_one()
        raise ProblemError(
            ErrorCode.VERSION_CONFLICT,
            f"Version {expected_version} is stale; the current version is {current.version}.",
            current=shape(current).model_dump(mode="json"),
        )
    return row


def _select(model: type[Row], where: ColumnElement[bool]) -> Any:
    from sqlalchemy import select

    return select(model).where(where).execution_options(populate_existing=True)
