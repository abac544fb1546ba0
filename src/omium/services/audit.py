"""The audit log: one row per change, written in the same transaction as the change."""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from omium.services.context import RequestContext
from omium.store.models import AuditLog, Base
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
    return record_in_session(
        uow.session,
        ctx,
        action,
        resource_type,
        resource_id,
        old,
        new,
        tenant_id=tenant_id,
        metadata=metadata,
    )


def record_in_session(
    session: Session,
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
    """Add an audit row to ``session``."""
    values = _row_values(
        ctx, action, resource_type, resource_id, old, new, tenant_id=tenant_id, metadata=metadata
    )
    row = AuditLog(**values)
    session.add(row)
    return row


def _row_values(
    ctx: RequestContext,
    action: str,
    resource_type: AuditResourceType,
    resource_id: uuid.UUID | None,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    *,
    tenant_id: uuid.UUID | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    principal = ctx.principal
    tenant = tenant_id or ctx.tenant_id
    extra: dict[str, Any] = dict(metadata or {})
    request_uuid = _request_uuid(ctx.request_id)
    if ctx.request_id and request_uuid is None:
        extra["request_id"] = ctx.request_id
    return {
        "tenant_id": tenant,
        "user_id": principal.user_id if principal else None,
        "api_key_id": principal.api_key_id if principal else None,
        "action": action,
        "resource_type": resource_type.value,
        "resource_id": resource_id,
        "old_values": jsonable(dict(old)) if old is not None else None,
        "new_values": jsonable(dict(new)) if new is not None else None,
        "ip_address": normalize_ip(ctx.ip_address),
        "user_agent": ctx.user_agent[:1000] if ctx.user_agent else None,
        "request_id": request_uuid,
        "metadata_": jsonable(extra),
    }


def insert_row_values(model: type[Base], values: Mapping[str, Any]) -> dict[str, Any] | None:
    """For a service that inserts ``model``'s row ``values`` with a Core statement (the ORM
    flush hook does not see it): the values of its audit row when an :func:`audited` scope
    covers ``model``, else None. Keys of ``values`` are the model's attribute names."""
    scope = _scope.get()
    if scope is None or not issubclass(model, scope.models):
        return None
    new = {k: v for k, v in values.items() if v is not None}
    return _row_values(scope.ctx, scope.action, scope.resource_type, values["id"], None, new)


# ---------------------------------------------------------------------------------------------
# Auditing services that own their transaction (the engine's): the edge opens a scope, and
# every row of the scope's model the service inserts or changes through the ORM is recorded
# in the same flush, hence the same transaction, as the change itself.


@dataclass
class _Scope:
    ctx: RequestContext
    action: str
    resource_type: AuditResourceType
    models: tuple[type[Base], ...]
    rows: dict[tuple[Any, ...], AuditLog] = field(default_factory=dict)


_scope: ContextVar[_Scope | None] = ContextVar("omium_audit_scope", default=None)


@contextmanager
def audited(
    ctx: RequestContext,
    action: str,
    resource_type: AuditResourceType,
    *models: type[Base],
) -> Iterator[None]:
    """Record, in their own transaction, the rows of ``models`` a service call writes."""
    token = _scope.set(_Scope(ctx, action, resource_type, models))
    try:
        yield
    finally:
        _scope.reset(token)


def _changes(obj: Base, *, new: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    old: dict[str, Any] = {}
    changed: dict[str, Any] = {}
    for attr in inspect(obj).mapper.column_attrs:
        history = get_history(obj, attr.key)
        if new:
            value = getattr(obj, attr.key, None)
            if value is not None:
                changed[attr.key] = value
        elif history.has_changes():
            changed[attr.key] = history.added[0] if history.added else None
            old[attr.key] = history.deleted[0] if history.deleted else None
    return old, changed


@event.listens_for(Session, "before_flush")
def _capture(session: Session, flush_context: Any, instances: Any) -> None:
    scope = _scope.get()
    if scope is None:
        return
    for obj in [*session.new, *session.dirty]:
        if isinstance(obj, AuditLog) or not isinstance(obj, scope.models):
            continue
        is_new = obj in session.new
        if is_new and getattr(obj, "id", 0) is None:
            # The uuid default would only be applied during the flush; the audit row needs it.
            obj.id = uuid.uuid4()  # type: ignore[attr-defined]
        old, new = _changes(obj, new=is_new)
        if not is_new and not new:
            continue
        pk = inspect(obj).mapper.primary_key_from_instance(obj)
        key = (type(obj), *pk)
        entry = scope.rows.get(key)
        if entry is None:
            resource_id = pk[0] if isinstance(pk[0], uuid.UUID) else None
            scope.rows[key] = record_in_session(
                session,
                scope.ctx,
                scope.action,
                scope.resource_type,
                resource_id,
                None if is_new else old,
                new,
            )
        else:
            entry.old_values = {**jsonable(old), **(entry.old_values or {})}
            entry.new_values = {**(entry.new_values or {}), **jsonable(new)}
