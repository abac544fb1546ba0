"""How every table reaches its tenant: the one place that knows the ownership graph.

A row belongs to a tenant either through its own ``tenant_id`` column or through the parent it
hangs off (a checkpoint through its execution, an ack through its log entry, ...). Queries built
here can only see rows of the given tenant.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, select

from omium.store.models import (
    Base,
    ConsensusAck,
    ConsensusLog,
    ConsensusReceiver,
    Execution,
    Tenant,
    User,
    UserRole,
)


def tenant_condition(model: type[Base], tenant_id: uuid.UUID) -> ColumnElement[bool]:
    """A WHERE clause true exactly for the rows of ``model`` that belong to ``tenant_id``."""
    if model is Tenant:
        return Tenant.id == tenant_id
    tenant_column = getattr(model, "tenant_id", None)
    if tenant_column is not None:
        return tenant_column == tenant_id  # type: ignore[no-any-return]
    if model is UserRole:
        return exists().where(and_(User.id == UserRole.user_id, User.tenant_id == tenant_id))
    if model is ConsensusAck or model is ConsensusReceiver:
        return exists().where(
            and_(
                ConsensusLog.id == model.consensus_log_id,
                Execution.id == ConsensusLog.execution_id,
                Execution.tenant_id == tenant_id,
            )
        )
    execution_column = getattr(model, "execution_id", None)
    if execution_column is not None:
        return exists().where(
            and_(Execution.id == execution_column, Execution.tenant_id == tenant_id)
        )
    raise TypeError(f"{model.__name__} has no path to a tenant")


def scoped_select(model: type[Base], tenant_id: uuid.UUID) -> Select[Any]:
    """``SELECT model`` limited to one tenant's rows."""
    return select(model).where(tenant_condition(model, tenant_id))
