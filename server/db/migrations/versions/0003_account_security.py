"""account security: sign-in failures per account and address, absolute login lifetime, outbox
mails that expire and hold no reset token

Revision ID: 0003
Revises: 0002_stored_scores
Create Date: 2026-12-03
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

from server.db.types import UtcDateTime

revision = "0003"
down_revision = "0002_stored_scores"
branch_labels = None
depends_on = None

# Reset mails queued before this revision carry their token in the body.
_TOKEN_IN_BODY = re.compile(r"(reset-password\?token=)\S+")
_REDACTED = r"\1(sent by mail only)"


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", UtcDateTime(), nullable=False),
        sa.Column("last_attempt_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_failures")),
    )
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sign_in_failures_last_attempt_at"), ["last_attempt_at"], unique=False
        )
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("login_expires_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("expires_at", UtcDateTime(), nullable=True))
    _scrub_reset_tokens()


def _scrub_reset_tokens() -> None:
    connection = op.get_bind()
    outbox = sa.table("mail_outbox", sa.column("id", sa.String), sa.column("body", sa.Text))
    rows = connection.execute(sa.select(outbox.c.id, outbox.c.body).where(outbox.c.body.like("%token=%")))
    for mail_id, body in rows.all():
        connection.execute(
            outbox.update().where(outbox.c.id == mail_id).values(body=_TOKEN_IN_BODY.sub(_REDACTED, body))
        )


def downgrade() -> None:
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("auth_tokens", schema=None) as batch_op:
        batch_op.drop_column("login_expires_at")
    with op.batch_alter_table("sign_in_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_in_failures_last_attempt_at"))
    op.drop_table("sign_in_failures")
