"""Engine indexes: two indexes beyond the LLD that every step boundary paid for and no
query used are dropped.

- ``idx_executions_lease`` (status, lease_expires_at): every boundary renews the lease, so
  every boundary moved its entry (on PostgreSQL it also kept the execution update from
  being a heap-only update, so every index of ``executions`` got a new entry). Claims find
  their candidates through ``idx_executions_status`` and count leases per tenant through
  ``idx_executions_tenant``.
- ``idx_execution_events_tenant`` (tenant_id, id): the outbox is read per execution
  (``idx_execution_events_execution``) and by the relay (``idx_execution_events_unpublished``),
  never per tenant.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain DROP INDEX (SQLite has it): a batch would copy the tables.
    op.drop_index("idx_executions_lease", table_name="executions")
    op.drop_index("idx_execution_events_tenant", table_name="execution_events")


def downgrade() -> None:
    op.create_index("idx_execution_events_tenant", "execution_events", ["tenant_id", "id"])
    op.create_index("idx_executions_lease", "executions", ["status", "lease_expires_at"])
