"""The audit log (LLD §1.1 "Audit & Compliance"); no monthly partitions (DESIGN.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from omium.store.models.base import Base, created_at, deferred_fk, json_object, uuid_pk
from omium.store.types import InetAddress, JSONDoc, UUIDType
from omium.types import AuditResourceType, sql_in


class AuditLog(Base):
    __tablename__ = "audit_logs"
    __table_args__ = (
        CheckConstraint(
            f"resource_type IN {sql_in(AuditResourceType)}", name="valid_resource_type"
        ),
        Index("idx_audit_logs_tenant", "tenant_id"),
        Index("idx_audit_logs_user", "user_id"),
        Index("idx_audit_logs_resource", "resource_type", "resource_id"),
        Index("idx_audit_logs_created", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("users.id"))
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(deferred_fk("api_keys.id"))
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(100), nullable=False)
    resource_id: Mapped[uuid.UUID | None] = mapped_column(UUIDType)
    old_values: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    new_values: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    ip_address: Mapped[str | None] = mapped_column(InetAddress)
    user_agent: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[uuid.UUID | None] = mapped_column(UUIDType)
    metadata_: Mapped[dict[str, Any] | None] = json_object("metadata")
    created_at: Mapped[datetime] = created_at()
