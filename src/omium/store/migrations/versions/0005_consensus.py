"""Consensus coordination: the term/leader row per execution, broadcast receivers, deadlines.

Migration note: beyond the LLD, ``consensus_terms`` (one row per execution: the current term
and its leader, written only by an atomic compare-and-set) and ``consensus_receivers`` (the
agents a log entry was broadcast to); ``consensus_logs`` gains ``rejections`` and
``expires_at``.

Revision ID: 0005
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from omium.store.types import UTCDateTime, utcnow

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consensus_logs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rejections", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("expires_at", UTCDateTime(), nullable=True))

    op.create_table(
        "consensus_terms",
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("current_term", sa.Integer(), nullable=False),
        sa.Column("leader_agent_id", sa.Uuid(), nullable=True),
        sa.Column("elected_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_consensus_terms_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["leader_agent_id"],
            ["agents.id"],
            name=op.f("fk_consensus_terms_leader_agent_id_agents"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("execution_id", name=op.f("pk_consensus_terms")),
    )
    op.create_table(
        "consensus_receivers",
        sa.Column("consensus_log_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consensus_log_id"],
            ["consensus_logs.id"],
            name=op.f("fk_consensus_receivers_consensus_log_id_consensus_logs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_consensus_receivers_agent_id_agents"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint(
            "consensus_log_id", "agent_id", name=op.f("pk_consensus_receivers")
        ),
    )


def downgrade() -> None:
    op.drop_table("consensus_receivers")
    op.drop_table("consensus_terms")
    with op.batch_alter_table("consensus_logs", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("rejections")
