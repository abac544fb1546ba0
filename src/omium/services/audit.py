"""The audit log: one row per change, written in the same transaction as the change."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from omium.services.context import RequestContext
from omium.store.models import AuditLog
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType


def jsonable(value: Any) -> Any:
    """``value`` with UUIDs, datetimes, decimals and enums turned into JSON scalars."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _request_uuid(request_id: str | None) -> uuid.UUID | None:
    # audit_logs.request_id is a UUID (LLD); our ids are "req_<32 hex>", which is one.
    if not request_id:
        return None
    try:
        return uuid.UUID(request_id.removeprefix("req_"))
    except ValueError:
        return None


def normalize_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def record(
    uow: UnitOfWork,
    ctx: RequestContext,
    action: str,
    resource_type: AuditResourceType,
    resource_id: uuid.UUID | None,
    old: Mapping[str, Any] | None = None,
    new: Mapping[str, Any] | None = None,
    *,
    tenant_id: uuid.UUID | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Add an audit row to ``uow`` (committed, or rolled back, with the change itself).

    ``tenant_id`` is only needed before the caller has a principal (registration, login).
    """
    principal = ctx.principal
    tenant = tenant_id or ctx.tenant_id
    extra: dict[str, Any] = dict(metadata or {})
    request_uuid = _request_uuid(ctx.request_id)
    if ctx.request_id and request_uuid is None:
        extra["request_id"] = ctx.request_id
    row = AuditLog(
        tenant_id=tenant,
        user_id=principal.user_id if principal else None,
        api_key_id=principal.api_key_id if principal else None,
        action=action,
        resource_type=resource_type.value,
        resource_id=resource_id,
        old_values=jsonable(dict(old)) if old is not None else None,
        new_values=jsonable(dict(new)) if new is not None else None,
        ip_address=normalize_ip(ctx.ip_address),
        user_agent=ctx.user_agent[:1000] if ctx.user_agent else None,
        request_id=request_uuid,
        metadata_=jsonable(extra),
    )
    uow.session.add(row)
    return row
