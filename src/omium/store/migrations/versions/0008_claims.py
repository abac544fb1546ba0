"""Claims: an index over the executions that hold a lease, by tenant.

Migration note: beyond the LLD. A claim counts the tenant's live leases (for
``max_concurrent_executions``); without this index the count reads every execution the
tenant ever had. Partial (``lease_owner IS NOT NULL``): finished executions leave it. Not
on ``lease_expires_at``, which every step boundary renews: the index would be written at each.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "idx_executions_tenant_lease",
        "executions",
        ["tenant_id"],
        postgresql_where=sa.text("lease_owner IS NOT NULL"),
        sqlite_where=sa.text("lease_owner IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("idx_executions_tenant_lease", table_name="executions")
