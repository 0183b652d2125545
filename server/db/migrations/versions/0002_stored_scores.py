"""stored scores: agent_scores, filled from the metrics already there

Revision ID: 0002_stored_scores
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from shared import scoring
from shared.scoring import KpiRule, kpi_sort_key

revision = "0002_stored_scores"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "agent_scores",
        sa.Column("agent_id", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kpi_values", sa.JSON(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_agent_scores_agent_id_users")),
        sa.PrimaryKeyConstraint("agent_id", "period", name=op.f("pk_agent_scores")),
    )
    with op.batch_alter_table("agent_scores", schema=None) as batch_op:
        batch_op.create_index("ix_agent_scores_period_agent", ["period", "agent_id"], unique=False)
    _score_existing_metrics()


def _score_existing_metrics() -> None:
    """Score what is already there with ``shared.scoring``, as ``services.score_store`` would."""
    bind = op.get_bind()
    kpis = bind.execute(sa.text("SELECT code, target, weight, higher_is_better FROM kpis")).all()
    rules = [KpiRule(*row) for row in sorted(kpis, key=lambda row: kpi_sort_key(row[0]))]
    values: dict[tuple[str, str], dict[str, float]] = {}
    for agent_id, period, code, value in bind.execute(
        sa.text("SELECT agent_id, period, kpi_code, value FROM metrics")
    ):
        values.setdefault((agent_id, period), {})[code] = value
    table = sa.table(
        "agent_scores",
        sa.column("agent_id", sa.String()),
        sa.column("period", sa.String()),
        sa.column("kpi_values", sa.JSON()),
        sa.column("score", sa.Float()),
        sa.column("version", sa.Integer()),
    )
    rows = [
        {"agent_id": a, "period": p, "kpi_values": v, "score": scoring.score(v, rules), "version": 1}
        for (a, p), v in values.items()
    ]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table("agent_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_scores_period_agent")
    op.drop_table("agent_scores")
