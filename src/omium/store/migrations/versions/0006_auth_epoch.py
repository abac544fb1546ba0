"""Auth epochs: ``users.auth_epoch``, bumped when a user is disabled or their roles change.

Migration note: beyond the LLD. An access token carries the epoch it was issued in
(claim ``auth_epoch``); the API refuses a token whose epoch is not the user's current one,
so a disabled user's token stops working at once instead of at its expiry.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it too), not a batch: on SQLite a batch would copy the
    # users table to a new one, which changes the order SQLite runs cascades in (a tenant's
    # users would then go before its workflows, whose created_by is ON DELETE RESTRICT).
    op.add_column(
        "users", sa.Column("auth_epoch", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("auth_epoch")
