"""Checkpoint store: content-addressed state parts and the manifest naming them.

Adds ``checkpoints.state_manifest`` (JSON: the parts of a checkpoint's state) and the
``checkpoint_blobs`` table (one row per distinct part of a tenant; small parts inline, large
ones in the blob store).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from omium.store.types import UTCDateTime, utcnow

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state_manifest",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )
    op.create_table(
        "checkpoint_blobs",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("compression", sa.String(length=16), nullable=False),
        sa.Column("raw_size", sa.Integer(), nullable=False),
        sa.Column("stored_size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("location", sa.String(length=1000), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_checkpoint_blobs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "digest", name=op.f("pk_checkpoint_blobs")),
    )
    with op.batch_alter_table("checkpoint_blobs", schema=None) as batch_op:
        batch_op.create_index("idx_checkpoint_blobs_created", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checkpoint_blobs", schema=None) as batch_op:
        batch_op.drop_index("idx_checkpoint_blobs_created")
    op.drop_table("checkpoint_blobs")
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.drop_column("state_manifest")
