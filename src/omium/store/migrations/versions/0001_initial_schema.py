"""Initial schema: every table of LLD §1.1, the §1.2 collections, and Omium's additions.

Migration note: beyond the LLD, ``executions`` carries the worker lease
(``lease_owner``, ``lease_expires_at``, ``heartbeat_at``, indexed with ``status`` for the
claim query) and ``workflow_version``; ``checkpoints`` carries ``superseded_at`` and a partial
unique index on live names instead of UNIQUE(execution_id, checkpoint_name) (DESIGN.md).
Foreign keys the LLD leaves without ON DELETE are DEFERRABLE INITIALLY DEFERRED, so that a
cascade through an execution or a tenant can complete before they are checked.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from omium.store.types import UTCDateTime, empty_array, gen_uuid, utcnow

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tenants",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("slug", sa.String(length=100), nullable=False),
        sa.Column(
            "subscription_tier",
            sa.String(length=50),
            server_default=sa.text("'starter'"),
            nullable=False,
        ),
        sa.Column(
            "subscription_status",
            sa.String(length=50),
            server_default=sa.text("'active'"),
            nullable=False,
        ),
        sa.Column("stripe_customer_id", sa.String(length=255), nullable=True),
        sa.Column(
            "max_checkpoints_per_month",
            sa.Integer(),
            server_default=sa.text("50000"),
            nullable=True,
        ),
        sa.Column(
            "max_concurrent_executions", sa.Integer(), server_default=sa.text("10"), nullable=True
        ),
        sa.Column("billing_email", sa.String(length=255), nullable=True),
        sa.Column(
            "billing_address",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "subscription_tier IN ('starter', 'professional', 'enterprise')", name="valid_tier"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenants")),
        sa.UniqueConstraint("slug", name=op.f("uq_tenants_slug")),
    )
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.create_index("idx_tenants_slug", ["slug"], unique=False)
        batch_op.create_index("idx_tenants_status", ["subscription_status"], unique=False)

    op.create_table(
        "roles",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "permissions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'[]'"),
            nullable=False,
        ),
        sa.Column("is_system_role", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_roles_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_roles_tenant_id_name")),
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.create_index("idx_roles_tenant", ["tenant_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("email_verified", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("hashed_password", sa.String(length=255), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column(
            "auth_provider", sa.String(length=50), server_default=sa.text("'local'"), nullable=True
        ),
        sa.Column("oauth_provider_id", sa.String(length=255), nullable=True),
        sa.Column("mfa_enabled", sa.Boolean(), server_default=sa.text("false"), nullable=True),
        sa.Column("mfa_secret", sa.String(length=255), nullable=True),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'active'"), nullable=True
        ),
        sa.Column("last_login_at", UTCDateTime(), nullable=True),
        sa.Column("avatar_url", sa.String(length=500), nullable=True),
        sa.Column("timezone", sa.String(length=50), server_default=sa.text("'UTC'"), nullable=True),
        sa.Column(
            "preferences",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.CheckConstraint(
            "auth_provider IN ('local', 'google', 'github', 'saml')", name="valid_auth_provider"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_users_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("tenant_id", "email", name=op.f("uq_users_tenant_id_email")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("idx_users_email", ["email"], unique=False)
        batch_op.create_index("idx_users_status", ["status"], unique=False)
        batch_op.create_index("idx_users_tenant", ["tenant_id"], unique=False)

    op.create_table(
        "api_keys",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("key_hash", sa.String(length=255), nullable=False),
        sa.Column("key_prefix", sa.String(length=20), nullable=False),
        sa.Column(
            "permissions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'[]'"),
            nullable=True,
        ),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("expires_at IS NULL OR expires_at > created_at", name="valid_expiry"),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_api_keys_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index("idx_api_keys_hash", ["key_hash"], unique=False)
        batch_op.create_index("idx_api_keys_prefix", ["key_prefix"], unique=False)
        batch_op.create_index("idx_api_keys_tenant", ["tenant_id"], unique=False)

    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role_id", sa.Uuid(), nullable=False),
        sa.Column("granted_by", sa.Uuid(), nullable=True),
        sa.Column("granted_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["granted_by"],
            ["users.id"],
            name=op.f("fk_user_roles_granted_by_users"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_user_roles_role_id_roles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_user_roles")),
    )
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.create_index("idx_user_roles_role", ["role_id"], unique=False)
        batch_op.create_index("idx_user_roles_user", ["user_id"], unique=False)

    op.create_table(
        "workflows",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.Column("status", sa.String(length=50), server_default=sa.text("'draft'"), nullable=True),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql"),
            server_default=empty_array(),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'published', 'archived')", name="valid_status"),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_workflows_created_by_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_workflows_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflows")),
    )
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.create_index("idx_workflows_status", ["status"], unique=False)
        batch_op.create_index("idx_workflows_tags", ["tags"], unique=False, postgresql_using="gin")
        batch_op.create_index("idx_workflows_tenant", ["tenant_id"], unique=False)

    op.create_table(
        "agent_configs",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("framework", sa.String(length=50), nullable=False),
        sa.Column("version", sa.String(length=50), nullable=True),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_agent_configs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_agent_configs_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_configs")),
    )
    with op.batch_alter_table("agent_configs", schema=None) as batch_op:
        batch_op.create_index("idx_agent_configs_tenant", ["tenant_id"], unique=False)
        batch_op.create_index("idx_agent_configs_workflow", ["workflow_id"], unique=False)

    op.create_table(
        "audit_logs",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("api_key_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("resource_type", sa.String(length=100), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=True),
        sa.Column(
            "old_values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "new_values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "ip_address",
            sa.String(length=45).with_variant(postgresql.INET(), "postgresql"),
            nullable=True,
        ),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.CheckConstraint(
            "resource_type IN ('user', 'workflow', 'execution', 'checkpoint', 'policy', 'api_key', 'role')",
            name="valid_resource_type",
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_audit_logs_api_key_id_api_keys"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_audit_logs_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_audit_logs_user_id_users"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_logs")),
    )
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.create_index("idx_audit_logs_created", ["created_at"], unique=False)
        batch_op.create_index(
            "idx_audit_logs_resource", ["resource_type", "resource_id"], unique=False
        )
        batch_op.create_index("idx_audit_logs_tenant", ["tenant_id"], unique=False)
        batch_op.create_index("idx_audit_logs_user", ["user_id"], unique=False)

    op.create_table(
        "execution_policies",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("policy_type", sa.String(length=50), nullable=False),
        sa.Column(
            "policy_config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.CheckConstraint(
            "policy_type IN ('timeout', 'retry', 'recovery', 'rollback', 'notification')",
            name="valid_policy_type",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_execution_policies_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_execution_policies_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_policies")),
    )
    with op.batch_alter_table("execution_policies", schema=None) as batch_op:
        batch_op.create_index("idx_execution_policies_active", ["is_active"], unique=False)
        batch_op.create_index("idx_execution_policies_tenant", ["tenant_id"], unique=False)
        batch_op.create_index("idx_execution_policies_workflow", ["workflow_id"], unique=False)

    op.create_table(
        "executions",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("triggered_by", sa.Uuid(), nullable=True),
        sa.Column(
            "trigger_type", sa.String(length=50), server_default=sa.text("'manual'"), nullable=True
        ),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("current_checkpoint", sa.String(length=255), nullable=True),
        sa.Column("last_successful_checkpoint", sa.String(length=255), nullable=True),
        sa.Column(
            "input_params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "output",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("checkpoint_count", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=True),
        sa.Column("lease_owner", sa.String(length=255), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'paused', 'completed', 'failed', 'rolled_back', 'cancelled')",
            name="valid_status",
        ),
        sa.CheckConstraint(
            "trigger_type IN ('manual', 'api', 'scheduled', 'webhook', 'event')",
            name="valid_trigger",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_executions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["triggered_by"],
            ["users.id"],
            name=op.f("fk_executions_triggered_by_users"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_executions_workflow_id_workflows"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executions")),
    )
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.create_index("idx_executions_lease", ["status", "lease_expires_at"], unique=False)
        batch_op.create_index("idx_executions_started", ["started_at"], unique=False)
        batch_op.create_index("idx_executions_status", ["status"], unique=False)
        batch_op.create_index("idx_executions_tenant", ["tenant_id"], unique=False)
        batch_op.create_index("idx_executions_workflow", ["workflow_id"], unique=False)

    op.create_table(
        "workflow_definitions",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_workflow_definitions_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_workflow_definitions_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_definitions")),
        sa.UniqueConstraint(
            "workflow_id", "version", name=op.f("uq_workflow_definitions_workflow_id_version")
        ),
    )
    with op.batch_alter_table("workflow_definitions", schema=None) as batch_op:
        batch_op.create_index("idx_workflow_definitions_tenant", ["tenant_id"], unique=False)
        batch_op.create_index(
            "idx_workflow_definitions_workflow_version", ["workflow_id", "version"], unique=False
        )

    op.create_table(
        "agents",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("agent_type", sa.String(length=100), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("framework", sa.String(length=50), nullable=True),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column(
            "output",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("llm_calls", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("tokens_used", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.CheckConstraint(
            "framework IN ('crewai', 'langgraph', 'autogen', 'custom')", name="valid_framework"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'completed', 'failed', 'rolled_back')",
            name="valid_status",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_agents_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
    )
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.create_index("idx_agents_execution", ["execution_id"], unique=False)
        batch_op.create_index("idx_agents_status", ["status"], unique=False)

    op.create_table(
        "execution_metrics",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("total_duration_ms", sa.Integer(), nullable=False),
        sa.Column("checkpoint_overhead_ms", sa.Integer(), nullable=True),
        sa.Column("consensus_overhead_ms", sa.Integer(), nullable=True),
        sa.Column("total_llm_calls", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("total_tokens", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column(
            "total_cost_usd",
            sa.Numeric(precision=10, scale=4),
            server_default=sa.text("0.00"),
            nullable=True,
        ),
        sa.Column("checkpoint_count", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("rollback_count", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("failure_count", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("retry_count", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("measured_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_metrics_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_metrics")),
    )
    with op.batch_alter_table("execution_metrics", schema=None) as batch_op:
        batch_op.create_index("idx_execution_metrics_execution", ["execution_id"], unique=False)
        batch_op.create_index("idx_execution_metrics_measured", ["measured_at"], unique=False)

    op.create_table(
        "agent_metrics",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("wait_time_ms", sa.Integer(), nullable=True),
        sa.Column("llm_provider", sa.String(length=50), nullable=True),
        sa.Column("llm_model", sa.String(length=100), nullable=True),
        sa.Column("llm_calls", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("tokens_used", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column(
            "cost_usd",
            sa.Numeric(precision=10, scale=4),
            server_default=sa.text("0.00"),
            nullable=True,
        ),
        sa.Column("tool_calls", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("tool_failures", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("measured_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_metrics_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_agent_metrics_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_metrics")),
    )
    with op.batch_alter_table("agent_metrics", schema=None) as batch_op:
        batch_op.create_index("idx_agent_metrics_agent", ["agent_id"], unique=False)
        batch_op.create_index("idx_agent_metrics_execution", ["execution_id"], unique=False)

    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("checkpoint_name", sa.String(length=255), nullable=False),
        sa.Column("checkpoint_index", sa.Integer(), nullable=False),
        sa.Column("state_size_bytes", sa.Integer(), nullable=False),
        sa.Column("state_blob_uri", sa.String(length=1000), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column(
            "preconditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "postconditions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("validation_passed", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.Column(
            "compression_type",
            sa.String(length=50),
            server_default=sa.text("'gzip'"),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("superseded_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_checkpoints_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_checkpoints_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkpoints")),
    )
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.create_index("idx_checkpoints_agent", ["agent_id"], unique=False)
        batch_op.create_index("idx_checkpoints_created", ["created_at"], unique=False)
        batch_op.create_index("idx_checkpoints_execution", ["execution_id"], unique=False)
        batch_op.create_index(
            "uq_checkpoints_live_name",
            ["execution_id", "checkpoint_name"],
            unique=True,
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        )

    op.create_table(
        "consensus_logs",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("term", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("sender_agent_id", sa.Uuid(), nullable=False),
        sa.Column("receiver_agent_id", sa.Uuid(), nullable=True),
        sa.Column("message_type", sa.String(length=50), nullable=False),
        sa.Column(
            "message",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "consensus_reached", sa.Boolean(), server_default=sa.text("false"), nullable=True
        ),
        sa.Column("acks_received", sa.Integer(), server_default=sa.text("0"), nullable=True),
        sa.Column("acks_required", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("committed_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "message_type IN ('handoff', 'state_update', 'completion', 'failure')",
            name="valid_message_type",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_consensus_logs_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["receiver_agent_id"],
            ["agents.id"],
            name=op.f("fk_consensus_logs_receiver_agent_id_agents"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["sender_agent_id"],
            ["agents.id"],
            name=op.f("fk_consensus_logs_sender_agent_id_agents"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consensus_logs")),
        sa.UniqueConstraint(
            "execution_id", "log_index", name=op.f("uq_consensus_logs_execution_id_log_index")
        ),
    )
    with op.batch_alter_table("consensus_logs", schema=None) as batch_op:
        batch_op.create_index("idx_consensus_logs_execution", ["execution_id"], unique=False)
        batch_op.create_index("idx_consensus_logs_sender", ["sender_agent_id"], unique=False)
        batch_op.create_index("idx_consensus_logs_term", ["term"], unique=False)

    op.create_table(
        "execution_traces",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("workflow_id", sa.Uuid(), nullable=True),
        sa.Column("trace_id", sa.String(length=64), nullable=False),
        sa.Column("span_id", sa.String(length=32), nullable=False),
        sa.Column("parent_span_id", sa.String(length=32), nullable=True),
        sa.Column("operation", sa.String(length=255), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("start_time", UTCDateTime(), nullable=False),
        sa.Column("end_time", UTCDateTime(), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=50), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql"),
            server_default=empty_array(),
            nullable=True,
        ),
        sa.Column("created_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_execution_traces_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_execution_traces_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_execution_traces_tenant_id_tenants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workflow_id"],
            ["workflows.id"],
            name=op.f("fk_execution_traces_workflow_id_workflows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_execution_traces")),
        sa.UniqueConstraint(
            "trace_id", "span_id", name=op.f("uq_execution_traces_trace_id_span_id")
        ),
    )
    with op.batch_alter_table("execution_traces", schema=None) as batch_op:
        batch_op.create_index("idx_execution_traces_execution", ["execution_id"], unique=False)
        batch_op.create_index(
            "idx_execution_traces_execution_time", ["execution_id", "start_time"], unique=False
        )
        batch_op.create_index(
            "idx_execution_traces_tenant_created", ["tenant_id", "created_at"], unique=False
        )

    op.create_table(
        "consensus_acks",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("consensus_log_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("ack_received_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("valid", sa.Boolean(), server_default=sa.text("true"), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_consensus_acks_agent_id_agents"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["consensus_log_id"],
            ["consensus_logs.id"],
            name=op.f("fk_consensus_acks_consensus_log_id_consensus_logs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consensus_acks")),
        sa.UniqueConstraint(
            "consensus_log_id", "agent_id", name=op.f("uq_consensus_acks_consensus_log_id_agent_id")
        ),
    )
    with op.batch_alter_table("consensus_acks", schema=None) as batch_op:
        batch_op.create_index("idx_consensus_acks_log", ["consensus_log_id"], unique=False)

    op.create_table(
        "failures",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=True),
        sa.Column("checkpoint_id", sa.Uuid(), nullable=True),
        sa.Column("failure_type", sa.String(length=100), nullable=False),
        sa.Column("severity", sa.String(length=50), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=False),
        sa.Column("stack_trace", sa.Text(), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("suggested_fix", sa.Text(), nullable=True),
        sa.Column("recovery_action", sa.String(length=100), nullable=True),
        sa.Column(
            "recovery_status",
            sa.String(length=50),
            server_default=sa.text("'pending'"),
            nullable=True,
        ),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.Column("detected_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "failure_type IN ('hallucination', 'timeout', 'tool_invocation', 'state_sync', 'consensus_violation', 'validation_error')",
            name="valid_failure_type",
        ),
        sa.CheckConstraint(
            "severity IN ('low', 'medium', 'high', 'critical')", name="valid_severity"
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_failures_agent_id_agents"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["checkpoints.id"],
            name=op.f("fk_failures_checkpoint_id_checkpoints"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_failures_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_failures")),
    )
    with op.batch_alter_table("failures", schema=None) as batch_op:
        batch_op.create_index("idx_failures_detected", ["detected_at"], unique=False)
        batch_op.create_index("idx_failures_execution", ["execution_id"], unique=False)
        batch_op.create_index("idx_failures_severity", ["severity"], unique=False)
        batch_op.create_index("idx_failures_type", ["failure_type"], unique=False)

    op.create_table(
        "rollbacks",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("from_checkpoint_id", sa.Uuid(), nullable=True),
        sa.Column("to_checkpoint_id", sa.Uuid(), nullable=False),
        sa.Column("triggered_by", sa.Uuid(), nullable=True),
        sa.Column("trigger_reason", sa.String(length=255), nullable=False),
        sa.Column(
            "trigger_type", sa.String(length=50), server_default=sa.text("'manual'"), nullable=True
        ),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'in_progress'"), nullable=True
        ),
        sa.Column("started_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("rollback_success", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "affected_agents",
            sa.JSON().with_variant(postgresql.ARRAY(sa.Uuid()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.CheckConstraint("status IN ('in_progress', 'completed', 'failed')", name="valid_status"),
        sa.CheckConstraint(
            "trigger_type IN ('manual', 'automatic', 'policy')", name="valid_trigger"
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_rollbacks_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_checkpoint_id"],
            ["checkpoints.id"],
            name=op.f("fk_rollbacks_from_checkpoint_id_checkpoints"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["to_checkpoint_id"],
            ["checkpoints.id"],
            name=op.f("fk_rollbacks_to_checkpoint_id_checkpoints"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.ForeignKeyConstraint(
            ["triggered_by"],
            ["users.id"],
            name=op.f("fk_rollbacks_triggered_by_users"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollbacks")),
    )
    with op.batch_alter_table("rollbacks", schema=None) as batch_op:
        batch_op.create_index("idx_rollbacks_execution", ["execution_id"], unique=False)
        batch_op.create_index("idx_rollbacks_from_checkpoint", ["from_checkpoint_id"], unique=False)
        batch_op.create_index("idx_rollbacks_started", ["started_at"], unique=False)
        batch_op.create_index("idx_rollbacks_to_checkpoint", ["to_checkpoint_id"], unique=False)

    op.create_table(
        "recovery_actions",
        sa.Column("id", sa.Uuid(), server_default=gen_uuid(), nullable=False),
        sa.Column("failure_id", sa.Uuid(), nullable=False),
        sa.Column("execution_id", sa.Uuid(), nullable=False),
        sa.Column("action_type", sa.String(length=100), nullable=False),
        sa.Column(
            "action_config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("triggered_by", sa.Uuid(), nullable=True),
        sa.Column("triggered_at", UTCDateTime(), server_default=utcnow(), nullable=False),
        sa.Column(
            "status", sa.String(length=50), server_default=sa.text("'pending'"), nullable=True
        ),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "metadata",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=True,
        ),
        sa.CheckConstraint(
            "action_type IN ('rollback', 'retry', 'prompt_edit', 'manual_intervention', 'escalate')",
            name="valid_action_type",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'completed', 'failed', 'cancelled')",
            name="valid_status",
        ),
        sa.ForeignKeyConstraint(
            ["execution_id"],
            ["executions.id"],
            name=op.f("fk_recovery_actions_execution_id_executions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["failure_id"],
            ["failures.id"],
            name=op.f("fk_recovery_actions_failure_id_failures"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["triggered_by"],
            ["users.id"],
            name=op.f("fk_recovery_actions_triggered_by_users"),
            initially="DEFERRED",
            deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_actions")),
    )
    with op.batch_alter_table("recovery_actions", schema=None) as batch_op:
        batch_op.create_index("idx_recovery_actions_execution", ["execution_id"], unique=False)
        batch_op.create_index("idx_recovery_actions_failure", ["failure_id"], unique=False)
        batch_op.create_index("idx_recovery_actions_triggered", ["triggered_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recovery_actions", schema=None) as batch_op:
        batch_op.drop_index("idx_recovery_actions_triggered")
        batch_op.drop_index("idx_recovery_actions_failure")
        batch_op.drop_index("idx_recovery_actions_execution")

    op.drop_table("recovery_actions")
    with op.batch_alter_table("rollbacks", schema=None) as batch_op:
        batch_op.drop_index("idx_rollbacks_to_checkpoint")
        batch_op.drop_index("idx_rollbacks_started")
        batch_op.drop_index("idx_rollbacks_from_checkpoint")
        batch_op.drop_index("idx_rollbacks_execution")

    op.drop_table("rollbacks")
    with op.batch_alter_table("failures", schema=None) as batch_op:
        batch_op.drop_index("idx_failures_type")
        batch_op.drop_index("idx_failures_severity")
        batch_op.drop_index("idx_failures_execution")
        batch_op.drop_index("idx_failures_detected")

    op.drop_table("failures")
    with op.batch_alter_table("consensus_acks", schema=None) as batch_op:
        batch_op.drop_index("idx_consensus_acks_log")

    op.drop_table("consensus_acks")
    with op.batch_alter_table("execution_traces", schema=None) as batch_op:
        batch_op.drop_index("idx_execution_traces_tenant_created")
        batch_op.drop_index("idx_execution_traces_execution_time")
        batch_op.drop_index("idx_execution_traces_execution")

    op.drop_table("execution_traces")
    with op.batch_alter_table("consensus_logs", schema=None) as batch_op:
        batch_op.drop_index("idx_consensus_logs_term")
        batch_op.drop_index("idx_consensus_logs_sender")
        batch_op.drop_index("idx_consensus_logs_execution")

    op.drop_table("consensus_logs")
    with op.batch_alter_table("checkpoints", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_checkpoints_live_name",
            postgresql_where=sa.text("superseded_at IS NULL"),
            sqlite_where=sa.text("superseded_at IS NULL"),
        )
        batch_op.drop_index("idx_checkpoints_execution")
        batch_op.drop_index("idx_checkpoints_created")
        batch_op.drop_index("idx_checkpoints_agent")

    op.drop_table("checkpoints")
    with op.batch_alter_table("agent_metrics", schema=None) as batch_op:
        batch_op.drop_index("idx_agent_metrics_execution")
        batch_op.drop_index("idx_agent_metrics_agent")

    op.drop_table("agent_metrics")
    with op.batch_alter_table("execution_metrics", schema=None) as batch_op:
        batch_op.drop_index("idx_execution_metrics_measured")
        batch_op.drop_index("idx_execution_metrics_execution")

    op.drop_table("execution_metrics")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_index("idx_agents_status")
        batch_op.drop_index("idx_agents_execution")

    op.drop_table("agents")
    with op.batch_alter_table("workflow_definitions", schema=None) as batch_op:
        batch_op.drop_index("idx_workflow_definitions_workflow_version")
        batch_op.drop_index("idx_workflow_definitions_tenant")

    op.drop_table("workflow_definitions")
    with op.batch_alter_table("executions", schema=None) as batch_op:
        batch_op.drop_index("idx_executions_workflow")
        batch_op.drop_index("idx_executions_tenant")
        batch_op.drop_index("idx_executions_status")
        batch_op.drop_index("idx_executions_started")
        batch_op.drop_index("idx_executions_lease")

    op.drop_table("executions")
    with op.batch_alter_table("execution_policies", schema=None) as batch_op:
        batch_op.drop_index("idx_execution_policies_workflow")
        batch_op.drop_index("idx_execution_policies_tenant")
        batch_op.drop_index("idx_execution_policies_active")

    op.drop_table("execution_policies")
    with op.batch_alter_table("audit_logs", schema=None) as batch_op:
        batch_op.drop_index("idx_audit_logs_user")
        batch_op.drop_index("idx_audit_logs_tenant")
        batch_op.drop_index("idx_audit_logs_resource")
        batch_op.drop_index("idx_audit_logs_created")

    op.drop_table("audit_logs")
    with op.batch_alter_table("agent_configs", schema=None) as batch_op:
        batch_op.drop_index("idx_agent_configs_workflow")
        batch_op.drop_index("idx_agent_configs_tenant")

    op.drop_table("agent_configs")
    with op.batch_alter_table("workflows", schema=None) as batch_op:
        batch_op.drop_index("idx_workflows_tenant")
        batch_op.drop_index("idx_workflows_tags", postgresql_using="gin")
        batch_op.drop_index("idx_workflows_status")

    op.drop_table("workflows")
    with op.batch_alter_table("user_roles", schema=None) as batch_op:
        batch_op.drop_index("idx_user_roles_user")
        batch_op.drop_index("idx_user_roles_role")

    op.drop_table("user_roles")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index("idx_api_keys_tenant")
        batch_op.drop_index("idx_api_keys_prefix")
        batch_op.drop_index("idx_api_keys_hash")

    op.drop_table("api_keys")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("idx_users_tenant")
        batch_op.drop_index("idx_users_status")
        batch_op.drop_index("idx_users_email")

    op.drop_table("users")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index("idx_roles_tenant")

    op.drop_table("roles")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_index("idx_tenants_status")
        batch_op.drop_index("idx_tenants_slug")

    op.drop_table("tenants")
