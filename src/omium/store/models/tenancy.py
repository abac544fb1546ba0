"""Tenants, users, roles and API keys (LLD §1.1 "Tenants & Users")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import (
    Base,
    created_at,
    deferred_fk,
    json_list,
    json_object,
    now_column,
    updated_at,
    uuid_pk,
)
from omium.store.types import JSONDoc, UTCDateTime
from omium.types import AuthProvider, SubscriptionTier, sql_in


class Tenant(Base):
    __tablename__ = "tenants"
    __table_args__ = (
        CheckConstraint(f"subscription_tier IN {sql_in(SubscriptionTier)}", name="valid_tier"),
        Index("idx_tenants_slug", "slug"),
        Index("idx_tenants_status", "subscription_status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    slug: Mapped[str] = mapped_column(String(100), nullable=False, unique=True)
    subscription_tier: Mapped[str] = mapped_column(
        String(50), nullable=False, default="starter", server_default=text("'starter'")
    )
    subscription_status: Mapped[str] = mapped_column(
        String(50), nullable=False, default="active", server_default=text("'active'")
    )
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    max_checkpoints_per_month: Mapped[int | None] = mapped_column(
        Integer, default=50000, server_default=text("50000")
    )
    max_concurrent_executions: Mapped[int | None] = mapped_column(
        Integer, default=10, server_default=text("10")
    )
    billing_email: Mapped[str | None] = mapped_column(String(255))
    billing_address: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    settings: Mapped[dict[str, Any] | None] = json_object()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("email"),
        UniqueConstraint("tenant_id", "email"),
        CheckConstraint(f"auth_provider IN {sql_in(AuthProvider)}", name="valid_auth_provider"),
        Index("idx_users_tenant", "tenant_id"),
        Index("idx_users_email", "email"),
        Index("idx_users_status", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    email: Mapped[str] = mapped_column(String(255), nullable=False)
    email_verified: Mapped[bool | None] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    hashed_password: Mapped[str | None] = mapped_column(String(255))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    auth_provider: Mapped[str | None] = mapped_column(
        String(50), default="local", server_default=text("'local'")
    )
    oauth_provider_id: Mapped[str | None] = mapped_column(String(255))
    mfa_enabled: Mapped[bool | None] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    mfa_secret: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str | None] = mapped_column(
        String(50), default="active", server_default=text("'active'")
    )
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: Beyond the LLD: bumped when the user is disabled or their roles change; an access
    #: token carries the epoch it was issued in and is refused once the epoch moved on.
    auth_epoch: Mapped[int] = mapped_column(
        Integer, nullable=False, default=0, server_default=text("0")
    )
    avatar_url: Mapped[str | None] = mapped_column(String(500))
    timezone: Mapped[str | None] = mapped_column(
        String(50), default="UTC", server_default=text("'UTC'")
    )
    preferences: Mapped[dict[str, Any] | None] = json_object()
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class Role(Base):
    __tablename__ = "roles"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        Index("idx_roles_tenant", "tenant_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str | None] = mapped_column(Text)
    permissions: Mapped[list[str]] = mapped_column(
        JSONDoc, nullable=False, default=list, server_default=text("'[]'")
    )
    is_system_role: Mapped[bool | None] = mapped_column(
        Boolean, default=False, server_default=text("false")
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (
        Index("idx_user_roles_user", "user_id"),
        Index("idx_user_roles_role", "role_id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True
    )
    granted_by: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("users.id"))
    granted_at: Mapped[datetime] = now_column()


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("expires_at IS NULL OR expires_at > created_at", name="valid_expiry"),
        Index("idx_api_keys_tenant", "tenant_id"),
        Index("idx_api_keys_hash", "key_hash"),
        Index("idx_api_keys_prefix", "key_prefix"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(255), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    key_prefix: Mapped[str] = mapped_column(String(20), nullable=False)
    permissions: Mapped[list[Any] | None] = json_list()
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = created_at()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
