"""The monthly KPI import: a CSV of ``employee_code,period,kpi,value`` upserted all or nothing.

Every row is checked inside the write transaction; one bad row and nothing is written, and the
422 names each bad row by its line in the file (the header is line 1). The upsert is one
``INSERT … ON CONFLICT DO UPDATE … WHERE value changed RETURNING`` per chunk, so a concurrent
import of the same keys can neither fail on the unique key nor lose a version bump, and an
unchanged value keeps its version and ``updated_at``.

The file is read as a stream: a chunk of rows is checked, upserted and logged as a change before
the next is read, so a large import holds one chunk in memory, not the file. After the first bad
row nothing more is written, the rest is only checked, and the transaction rolls back.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.engine import Database
from server.db.locks import lock_imports
from server.db.models import Kpi, Metric, Team, User
from server.problems import ProblemError
from server.services.changes import ChangeRecord, metric_entity_id, record_changes
from server.services.principal import Principal
from server.services.score_store import refresh_scores
from shared.admin import ImportResult, ImportRowError
from shared.auth import Role
from shared.errors import ErrorCode
from shared.types import is_period, utcnow

HEADER = ("employee_code", "period", "kpi", "value")
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


def iter_metrics_csv(lines: Iterable[str]) -> Iterator[MetricRow | ImportRowError]:
    """Each line that parses as a row, or an error for it (format, period, value, duplicates).

    Lines are read one at a time; what is kept across them is one short key per row, to find
    duplicates, so memory grows with the row count, never with a copy of the file.
    """
    reader = csv.reader(lines)
    header_seen = False
    first_line: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            fields = [field.strip() for field in record]
            if not any(fields):
                continue
            if not header_seen:
                header_seen = True
                if tuple(f.lower() for f in fields) != HEADER:
                    yield ImportRowError(row=line, message=f"the header must be {','.join(HEADER)}")
                    return
                continue
            row, message = _parse_row(line, fields)
            if row is not None:
                key = f"{row.employee_code}\x00{row.period}\x00{row.kpi}"  # NUL cannot occur in a row
                if key in first_line:
                    message = f"duplicate of row {first_line[key]}"
                else:
                    first_line[key] = line
                    yield row
            if message is not None:
                yield ImportRowError(row=line, message=message)
    except csv.Error as exc:
        yield ImportRowError(row=reader.line_num, message=f"not valid CSV: {exc}")
    except UnicodeDecodeError:
        yield ImportRowError(row=reader.line_num + 1, message="the file is not UTF-8 text")
    if not header_seen:
        yield ImportRowError(row=1, message=f"the header must be {','.join(HEADER)}")


def parse_metrics_csv(text: str) -> tuple[list[MetricRow], list[ImportRowError]]:
    """Rows that parse, and an error per line that does not."""
    rows: list[MetricRow] = []
    errors: list[ImportRowError] = []
    for batch_rows, batch_errors in _batches(io.StringIO(text)):
        rows.extend(batch_rows)
        errors.extend(batch_errors)
    return rows, errors


def _batches(lines: Iterable[str]) -> Iterator[tuple[list[MetricRow], list[ImportRowError]]]:
    rows: list[MetricRow] = []
    errors: list[ImportRowError] = []
    for item in iter_metrics_csv(lines):
        if isinstance(item, MetricRow):
            rows.append(item)
        else:
            errors.append(item)
        if len(rows) == UPSERT_CHUNK:
            yield rows, errors
            rows, errors = [], []
    yield rows, errors


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


async def import_metrics_csv(
    db: Database, source: str | TextIO, principal: Principal | None
) -> ImportResult:
    """Validate and upsert a metrics CSV in one write transaction; ``principal=None`` is the CLI.

    ``source`` is the text, or an open file (seekable: a retried transaction reads it again).
    Rows are checked and upserted a chunk at a time as they are read. Admins import for any
    agent, managers for the agents of their teams. Any bad row → 422 ``validation_error`` with
    ``errors: [{row, message}]`` and nothing written (the transaction rolls back).
    """
    if principal is not None:
        principal.require_role(Role.ADMIN, Role.MANAGER)
    lines = io.StringIO(source) if isinstance(source, str) else source

    async def check_and_upsert(session: AsyncSession) -> ImportResult:
        lines.seek(0)  # a retried attempt reads the file again from its start
        # A streamed file cannot be sorted as a whole, so imports take turns: two imports of the
        # same rows would otherwise each hold a row the other waits for (a deadlock).
        await lock_imports(session)
        upsert = _Upsert(session, db.is_sqlite, {kpi.code: kpi for kpi in await session.scalars(select(Kpi))})
        errors: list[ImportRowError] = []
        for rows, row_errors in _batches(lines):
            errors.extend(row_errors)
            errors.extend(await upsert.check(rows, principal))
            if not errors:
                await upsert.write(rows)
        if errors:
            raise _invalid(errors)
        await refresh_scores(session, upsert.touched)
        return upsert.result()

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


class _Upsert:
    """Upserts checked chunks of one import and counts what they did."""

    def __init__(self, session: AsyncSession, is_sqlite: bool, kpis: dict[str, Kpi]) -> None:
        self.session = session
        self.insert: Any = sqlite.insert if is_sqlite else postgresql.insert
        self.kpis = kpis
        self.agents: dict[str, ImportAgent] = {}
        self.team_of: dict[str, str | None] = {}
        self.now = utcnow()
        self.rows = self.inserted = self.updated = 0
        self.touched: set[tuple[str, str]] = set()  # (agent, period) whose stored score is stale

    async def check(self, rows: Sequence[MetricRow], principal: Principal | None) -> list[ImportRowError]:
        """Errors of rows naming an unknown (or another manager's) agent or KPI."""
        found = await _agents_by_code(self.session, {row.employee_code for row in rows} - self.agents.keys())
        self.agents.update(found)
        self.team_of.update((agent.id, agent.team_id) for agent in found.values())
        return _check_references(rows, self.kpis, self.agents, principal)

    async def write(self, rows: Sequence[MetricRow]) -> None:
        if not rows:
            return
        # In key order, so the rows of one statement are locked in the same order by every import.
        rows = sorted(rows, key=lambda row: (self.agents[row.employee_code].id, row.period, row.kpi))
        stmt = self.insert(Metric).values(
            [
                {
                    "agent_id": self.agents[row.employee_code].id,
                    "period": row.period,
                    "kpi_code": row.kpi,
                    "value": row.value,
                    "version": 1,
                    "updated_at": self.now,
                }
                for row in rows
            ]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[Metric.agent_id, Metric.period, Metric.kpi_code],
            set_={"value": stmt.excluded.value, "version": Metric.version + 1, "updated_at": self.now},
            where=Metric.value != stmt.excluded.value,
        ).returning(Metric.agent_id, Metric.period, Metric.kpi_code, Metric.version)
        written = sorted((r[0], r[1], r[2], r[3]) for r in await self.session.execute(stmt))
        await record_changes(
            self.session,
            [
                ChangeRecord(
                    "metric",
                    metric_entity_id(agent_id, period, kpi_code),
                    version,
                    team_id=self.team_of.get(agent_id),
                    agent_id=agent_id,
                )
                for agent_id, period, kpi_code, version in written
            ],
        )
        self.touched.update((agent_id, period) for agent_id, period, _, _ in written)
        inserted = sum(1 for *_, version in written if version == 1)
        self.rows += len(rows)
        self.inserted += inserted
        self.updated += len(written) - inserted

    def result(self) -> ImportResult:
        unchanged = self.rows - self.inserted - self.updated
        return ImportResult(inserted=self.inserted, updated=self.updated, unchanged=unchanged)
