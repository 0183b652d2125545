"""The monthly KPI import: a CSV of ``employee_code,period,kpi,value`` upserted all or nothing.

Every row is checked first, inside the write transaction; one bad row and nothing is written,
and the 422 names each bad row by its line in the file (the header is line 1). The upsert is one
``INSERT … ON CONFLICT DO UPDATE … WHERE value changed RETURNING`` per chunk, so a concurrent import
of the same keys can neither fail on the unique key nor lose a version bump, and an unchanged value
keeps its version and ``updated_at``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.models import Kpi, Metric, Team, User
from server.problems import ProblemError
from server.services.changes import ChangeRecord, metric_entity_id, record_changes
from server.services.principal import Principal
from shared.admin import ImportResult, ImportRowError
from shared.auth import Role
from shared.errors import ErrorCode
from shared.types import is_period, utcnow

HEADER = ("employee_code", "period", "kpi", "value")
MAX_IMPORT_BYTES = 20_000_000
MAX_REPORTED_ERRORS = 200
UPSERT_CHUNK = 500
LOOKUP_CHUNK = 500


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One valid-looking line of the file (``line`` 1-based, the header being line 1)."""

    line: int
    employee_code: str
    period: str
    kpi: str
    value: float


@dataclass(frozen=True, slots=True)
class ImportAgent:
    """An agent named in the file, with the manager of its team (for a manager's import rights)."""

    id: str
    team_id: str | None
    manager_id: str | None


def parse_metrics_csv(text: str) -> tuple[list[MetricRow], list[ImportRowError]]:
    """Rows that parse, and an error per line that does not (format, period, value, duplicates)."""
    reader = csv.reader(io.StringIO(text))
    rows: list[MetricRow] = []
    errors: list[ImportRowError] = []
    header_seen = False
    first_line: dict[tuple[str, str, str], int] = {}
    try:
        for record in reader:
            line = reader.line_num
            fields = [field.strip() for field in record]
            if not any(fields):
                continue
            if not header_seen:
                header_seen = True
                if tuple(f.lower() for f in fields) != HEADER:
                    errors.append(ImportRowError(row=line, message=f"the header must be {','.join(HEADER)}"))
                    return rows, errors
                continue
            row, message = _parse_row(line, fields)
            if row is not None:
                key = (row.employee_code, row.period, row.kpi)
                if key in first_line:
                    message = f"duplicate of row {first_line[key]}"
                else:
                    first_line[key] = line
                    rows.append(row)
            if message is not None:
                errors.append(ImportRowError(row=line, message=message))
    except csv.Error as exc:
        errors.append(ImportRowError(row=reader.line_num, message=f"not valid CSV: {exc}"))
    if not header_seen:
        errors.append(ImportRowError(row=1, message=f"the header must be {','.join(HEADER)}"))
    return rows, errors


def _parse_row(line: int, fields: list[str]) -> tuple[MetricRow | None, str | None]:
    if len(fields) != len(HEADER):
        return None, f"expected {len(HEADER)} fields, found {len(fields)}"
    if any("\x00" in field for field in fields):
        return None, "the row contains a NUL character"
    code, period, kpi, raw_value = fields
    if not code:
        return None, "the employee code is empty"
    if not is_period(period):
        return None, f"period {period!r} is not a month like 2026-01"
    try:
        value = float(raw_value)
    except ValueError:
        return None, f"value {raw_value!r} is not a number"
    if not math.isfinite(value):
        return None, f"value {raw_value!r} is not a number"
    if value < 0:
        return None, f"value {raw_value} is negative"
    return MetricRow(line, code, period, kpi.lower(), value), None


async def import_metrics_csv(db: Database, csv_text: str, principal: Principal | None) -> ImportResult:
    """Validate and upsert a metrics CSV in one write transaction; ``principal=None`` is the CLI.

    Admins import for any agent, managers for the agents of their teams. Any bad row → 422
    ``validation_error`` with ``errors: [{row, message}]`` and nothing written.
    """
    if principal is not None:
        principal.require_role(Role.ADMIN, Role.MANAGER)
    rows, errors = parse_metrics_csv(csv_text)

    async def check_and_upsert(session: AsyncSession) -> ImportResult:
        kpis = {kpi.code: kpi for kpi in await session.scalars(select(Kpi))}
        agents = await _agents_by_code(session, {row.employee_code for row in rows})
        # A copy: a retried attempt must not find the previous attempt's reference errors.
        problems = errors + _check_references(rows, kpis, agents, principal)
        if problems:
            raise _invalid(problems)
        return await _upsert(session, db.is_sqlite, rows, agents)

    return await db.run_write(check_and_upsert)


async def _agents_by_code(session: AsyncSession, codes: set[str]) -> dict[str, ImportAgent]:
    found: dict[str, ImportAgent] = {}
    ordered = sorted(codes)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        result = await session.execute(
            select(User.id, User.employee_code, User.team_id, Team.manager_id)
            .outerjoin(Team, Team.id == User.team_id)
            .where(
                User.employee_code.in_(ordered[start : start + LOOKUP_CHUNK]),
                User.role == Role.AGENT.value,
            )
        )
        for agent_id, code, team_id, manager_id in result:
            found[code] = ImportAgent(agent_id, team_id, manager_id)
    return found


def _check_references(
    rows: Iterable[MetricRow],
    kpis: dict[str, Kpi],
    agents: dict[str, ImportAgent],
    principal: Principal | None,
) -> list[ImportRowError]:
    manager_id = principal.user_id if principal is not None and principal.role is Role.MANAGER else None
    errors: list[ImportRowError] = []
    for row in rows:
        agent = agents.get(row.employee_code)
        kpi = kpis.get(row.kpi)
        message: str | None = None
        if agent is None or (manager_id is not None and agent.manager_id != manager_id):
            # The same words for "unknown" and "not yours", so codes cannot be probed.
            scope = "" if manager_id is None else " in your teams"
            message = f"no agent with employee code {row.employee_code!r}{scope}"
        elif kpi is None:
            message = f"unknown KPI {row.kpi!r} (known: {', '.join(sorted(kpis))})"
        elif kpi.unit == "%" and row.value > 100:
            message = f"value {row.value:g} is over 100 for a percentage KPI"
        if message is not None:
            errors.append(ImportRowError(row=row.line, message=message))
    return errors


def _invalid(errors: list[ImportRowError]) -> ProblemError:
    errors.sort(key=lambda error: error.row)
    shown = errors[:MAX_REPORTED_ERRORS]
    return ProblemError(
        ErrorCode.VALIDATION_ERROR,
        f"{len(errors)} row(s) are not valid; nothing was imported.",
        errors=[error.model_dump() for error in shown],
        error_count=len(errors),
    )


async def _upsert(
    session: AsyncSession, is_sqlite: bool, rows: Sequence[MetricRow], agents: dict[str, ImportAgent]
) -> ImportResult:
    now = utcnow()
    dialect_insert: Any = sqlite.insert if is_sqlite else postgresql.insert
    written: list[tuple[str, str, str, int]] = []
    # Upserts lock their rows as they go: in key order, two imports of the same rows queue behind
    # each other instead of each holding a row the other waits for (a deadlock on PostgreSQL).
    rows = sorted(rows, key=lambda row: (agents[row.employee_code].id, row.period, row.kpi))
    for start in range(0, len(rows), UPSERT_CHUNK):
        chunk = rows[start : start + UPSERT_CHUNK]
        stmt = dialect_insert(Metric).values(
            [
                {
                    "agent_id": agents[row.employee_code].id,
                    "period": row.period,
                    "kpi_code": row.kpi,
                    "value": row.value,
                    "version": 1,
                    "updated_at": now,
                }
                for row in chunk
            ]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[Metric.agent_id, Metric.period, Metric.kpi_code],
            set_={"value": stmt.excluded.value, "version": Metric.version + 1, "updated_at": now},
            where=Metric.value != stmt.excluded.value,
        ).returning(Metric.agent_id, Metric.period, Metric.kpi_code, Metric.version)
        written.extend((r[0], r[1], r[2], r[3]) for r in await session.execute(stmt))
    inserted = sum(1 for *_, version in written if version == 1)
    team_of = {agent.id: agent.team_id for agent in agents.values()}
    await record_changes(
        session,
        [
            ChangeRecord(
                "metric",
                metric_entity_id(agent_id, period, kpi_code),
                version,
                team_id=team_of.get(agent_id),
                agent_id=agent_id,
            )
            for agent_id, period, kpi_code, version in sorted(written)
        ],
    )
    updated = len(written) - inserted
    return ImportResult(inserted=inserted, updated=updated, unchanged=len(rows) - len(written))
