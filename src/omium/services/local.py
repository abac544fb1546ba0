"""The local principal: who owns what ``omium run`` and ``omium demo`` record on this machine.

Local runs need no login, but every row belongs to a tenant. They belong to one tenant,
slug ``local``, and its user ``local@localhost``, created on first use (idempotently, also
when two processes race to create them).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from omium.store.db import Database
from omium.store.models import Tenant, User
from omium.store.uow import UnitOfWork

LOCAL_TENANT_SLUG = "local"
LOCAL_USER_EMAIL = "local@localhost"


@dataclass(frozen=True)
class LocalPrincipal:
    tenant_id: uuid.UUID
    user_id: uuid.UUID


def _find(uow: UnitOfWork) -> LocalPrincipal | None:
    s = uow.session
    tenant = s.scalars(select(Tenant).where(Tenant.slug == LOCAL_TENANT_SLUG)).one_or_none()
    if tenant is None:
        return None
    user = s.scalars(
        select(User).where(User.tenant_id == tenant.id, User.email == LOCAL_USER_EMAIL)
    ).one_or_none()
    return LocalPrincipal(tenant.id, user.id) if user is not None else None


def local_principal(db: Database) -> LocalPrincipal:
    """The local tenant and user, created when missing."""
    with UnitOfWork(db, read_only=True) as uow:
        found = _find(uow)
    if found is not None:
        return found
    try:
        with UnitOfWork(db) as uow:
            s = uow.session
            tenant = s.scalars(select(Tenant).where(Tenant.slug == LOCAL_TENANT_SLUG)).one_or_none()
            if tenant is None:
                tenant = Tenant(name="Local", slug=LOCAL_TENANT_SLUG)
                s.add(tenant)
                s.flush()
            user = User(tenant_id=tenant.id, email=LOCAL_USER_EMAIL, first_name="Local")
            s.add(user)
            s.flush()
            principal = LocalPrincipal(tenant.id, user.id)
            uow.commit()
            return principal
    except IntegrityError:
        # Another process created them first.
        with UnitOfWork(db, read_only=True) as uow:
            found = _find(uow)
        if found is None:
            raise
        return found
