"""Tenant-scoped repositories: the only way services read and write rows of a tenant.

A repository is bound to one session and one tenant. It cannot return another tenant's row
(every query goes through :func:`omium.store.scoping.tenant_condition`), and it cannot write a
row that belongs to, or points at, another tenant's data. It flushes but never commits: the
unit of work belongs to the caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from omium.errors import ErrorCode, NotFoundError
from omium.store.models import Base, Tenant
from omium.store.scoping import scoped_select, tenant_condition

M = TypeVar("M", bound=Base)

#: The error code a missing row of each table is reported with (LLD §5.3).
NOT_FOUND_CODES: dict[str, ErrorCode] = {
    "executions": ErrorCode.EXECUTION_NOT_FOUND,
    "workflows": ErrorCode.WORKFLOW_NOT_FOUND,
    "workflow_definitions": ErrorCode.WORKFLOW_NOT_FOUND,
    "checkpoints": ErrorCode.CHECKPOINT_NOT_FOUND,
}


def _table_to_model() -> dict[str, type[Base]]:
    return {cls.__tablename__: cls for cls in _mapped_classes()}


def _mapped_classes() -> list[type[Base]]:
    return [mapper.class_ for mapper in Base.registry.mappers]


class Repository(Generic[M]):
    """Reads and writes rows of one model for one tenant."""

    def __init__(self, model: type[M], session: Session, tenant_id: uuid.UUID) -> None:
        self.model = model
        self.session = session
        self.tenant_id = tenant_id

    @property
    def _resource(self) -> str:
        return str(self.model.__tablename__).removesuffix("s")

    def not_found(self, row_id: Any) -> NotFoundError:
        code = NOT_FOUND_CODES.get(self.model.__tablename__, ErrorCode.RESOURCE_NOT_FOUND)
        return NotFoundError(
            f"{self._resource.replace('_', ' ').capitalize()} with ID '{row_id}' not found",
            code=code,
            details={f"{self._resource}_id": str(row_id)},
        )

    def get(self, row_id: uuid.UUID, *, for_update: bool = False) -> M | None:
        """The row with this id, or None when it does not exist in this tenant."""
        pk = self.model.__mapper__.primary_key[0]
        stmt = scoped_select(self.model, self.tenant_id).where(pk == row_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def require(self, row_id: uuid.UUID, *, for_update: bool = False) -> M:
        """The row with this id; NotFoundError (404) when absent or another tenant's."""
        row = self.get(row_id, for_update=for_update)
        if row is None:
            raise self.not_found(row_id)
        return row

    def list(
        self,
        *criteria: ColumnElement[bool],
        order_by: Sequence[Any] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[M]:
        stmt = scoped_select(self.model, self.tenant_id).where(*criteria)
        if order_by:
            stmt = stmt.order_by(*order_by)
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        return list(self.session.scalars(stmt))

    def count(self, *criteria: ColumnElement[bool]) -> int:
        stmt = (
            select(func.count())
            .select_from(self.model)
            .where(tenant_condition(self.model, self.tenant_id), *criteria)
        )
        return int(self.session.scalar(stmt) or 0)

    def add(self, row: M) -> M:
        """Insert ``row`` into this tenant; its tenant and every row it points at must be ours."""
        if self.model is not Tenant and hasattr(row, "tenant_id"):
            if row.tenant_id is None:
                row.tenant_id = self.tenant_id
            elif row.tenant_id != self.tenant_id:
                raise NotFoundError("Tenant not found", details={"tenant_id": str(row.tenant_id)})
        self._check_references(row)
        self.session.add(row)
        self.session.flush()
        return row

    def delete(self, row: M) -> None:
        """Delete ``row``; it must be one this repository can see."""
        row_id = self.model.__mapper__.primary_key_from_instance(row)[0]
        if self.get(row_id) is None:
            raise self.not_found(row_id)
        self.session.delete(row)
        self.session.flush()

    def _check_references(self, row: M) -> None:
        # A row may only point at rows of its own tenant: a checkpoint at one of our
        # executions, an execution at one of our workflows, a role grant at one of our users.
        models = _table_to_model()
        for fk in self.model.__table__.foreign_keys:
            value = getattr(row, fk.parent.key, None)
            target = models[fk.column.table.name]
            if value is None or target is Tenant:
                continue
            visible = self.session.scalar(
                select(func.count())
                .select_from(target)
                .where(fk.column == value, tenant_condition(target, self.tenant_id))
            )
            if not visible:
                raise Repository(target, self.session, self.tenant_id).not_found(value)
