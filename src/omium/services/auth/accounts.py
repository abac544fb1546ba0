"""Register, log in, refresh and log out (LLD §2.1)."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import func, select, update

from omium.clock import utcnow
from omium.errors import AuthError, ConflictError, ErrorCode, RateLimitError
from omium.schemas.auth import (
    LoginRequest,
    LoginResponse,
    RefreshResponse,
    RegisterRequest,
    RegisterResponse,
    TenantSummary,
    UserSummary,
)
from omium.services import audit
from omium.services.auth.grants import user_grants
from omium.services.auth.kit import AuthKit
from omium.services.auth.mfa import verify_totp
from omium.services.auth.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from omium.services.auth.permissions import SYSTEM_ROLES
from omium.services.auth.principal import Principal
from omium.services.auth.tokens import hash_token, issue_access_token, new_refresh_token
from omium.services.context import RequestContext
from omium.store.models import LoginAttempt, RefreshToken, Role, Tenant, User, UserRole
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return (slug or "tenant")[:80]


def _unique_slug(uow: UnitOfWork, name: str) -> str:
    base = slugify(name)
    slug = base
    while uow.session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(3)}"
    return slug


def create_system_roles(uow: UnitOfWork, tenant_id: uuid.UUID) -> dict[str, Role]:
    roles = {}
    for name, (description, permissions) in SYSTEM_ROLES.items():
        role = Role(
            tenant_id=tenant_id,
            name=name,
            description=description,
            permissions=list(permissions),
            is_system_role=True,
        )
        uow.session.add(role)
        roles[name] = role
    uow.session.flush()
    return roles


def _issue_tokens(
    kit: AuthKit, uow: UnitOfWork, user: User, family_id: uuid.UUID | None = None
) -> tuple[str, str, Principal]:
    roles, permissions = user_grants(uow.session, user.id)
    access = issue_access_token(
        kit.keys,
        user_id=user.id,
        tenant_id=user.tenant_id,
        email=user.email,
        roles=roles,
        permissions=permissions,
        ttl_seconds=kit.settings.access_token_ttl_seconds,
        auth_epoch=user.auth_epoch or 0,
    )
    refresh, refresh_hash = new_refresh_token()
    uow.session.add(
        RefreshToken(
            tenant_id=user.tenant_id,
            user_id=user.id,
            family_id=family_id or uuid.uuid4(),
            token_hash=refresh_hash,
            expires_at=utcnow() + timedelta(seconds=kit.settings.refresh_token_ttl_seconds),
        )
    )
    principal = Principal(
        tenant_id=user.tenant_id,
        user_id=user.id,
        email=user.email,
        roles=tuple(roles),
        permissions=frozenset(permissions),
    )
    return access, refresh, principal


def register(kit: AuthKit, ctx: RequestContext, body: RegisterRequest) -> RegisterResponse:
    """Create a tenant, its system roles and its owner; log the owner in."""
    check_password_policy(body.password, email=body.email)
    hashed = hash_password(body.password)
    # Keys are loaded (or created) before the write transaction: SQLite has one writer.
    kit.keys.active()
    with UnitOfWork(kit.db) as uow:
        if uow.session.scalar(select(User.id).where(User.email == body.email)) is not None:
            raise ConflictError(
                "An account with this email already exists",
                details={"field": "body.email"},
            )
        tenant = Tenant(name=body.tenant_name, slug=_unique_slug(uow, body.tenant_name))
        uow.session.add(tenant)
        uow.session.flush()
        roles = create_system_roles(uow, tenant.id)
        user = User(
            tenant_id=tenant.id,
            email=body.email,
            hashed_password=hashed,
            first_name=body.first_name,
            last_name=body.last_name,
            last_login_at=utcnow(),
        )
        uow.session.add(user)
        uow.session.flush()
        uow.session.add(UserRole(user_id=user.id, role_id=roles["owner"].id))
        uow.session.flush()
        access, refresh, principal = _issue_tokens(kit, uow, user)
        audit.record(
            uow,
            ctx.with_principal(principal),
            "auth.register",
            AuditResourceType.USER,
            user.id,
            None,
            {"email": user.email, "tenant_id": tenant.id, "tenant_slug": tenant.slug},
        )
        uow.commit()
        return RegisterResponse(
            user=UserSummary.model_validate(user),
            tenant=TenantSummary.model_validate(tenant),
            access_token=access,
            refresh_token=refresh,
            expires_in=kit.settings.access_token_ttl_seconds,
        )


def _check_lockout(kit: AuthKit, uow: UnitOfWork, email: str) -> None:
    window = timedelta(seconds=kit.settings.login_lockout_seconds)
    since = utcnow() - window
    last_success = uow.session.scalar(
        select(func.max(LoginAttempt.created_at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
        )
    )
    if last_success is not None and last_success > since:
        since = last_success
    failures = uow.session.execute(
        select(func.count(), func.min(LoginAttempt.created_at)).where(
            LoginAttempt.email == email,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at > since,
        )
    ).one()
    count, oldest = int(failures[0] or 0), failures[1]
    if count >= kit.settings.login_max_failures and oldest is not None:
        retry_after = max(1.0, (oldest + window - utcnow()).total_seconds())
        raise RateLimitError(
            "Too many failed logins for this account; try again later",
            retry_after=retry_after,
            details={"retry_after_seconds": int(retry_after) + 1},
        )


def _record_attempt(kit: AuthKit, email: str, ip: str | None, succeeded: bool) -> None:
    with UnitOfWork(kit.db) as uow:
        uow.session.add(
            LoginAttempt(email=email, ip_address=audit.normalize_ip(ip), succeeded=succeeded)
        )
        uow.commit()


def login(kit: AuthKit, ctx: RequestContext, body: LoginRequest) -> LoginResponse:
    """Check the password (and TOTP code when MFA is on); issue an access and refresh token."""
    with UnitOfWork(kit.db, read_only=True) as uow:
        _check_lockout(kit, uow, body.email)
        found = uow.session.scalar(select(User).where(User.email == body.email))
        password_ok = verify_password(found.hashed_password if found else None, body.password)
        if found is None or not password_ok or found.status != "active":
            user_id = None
        else:
            user_id = found.id
            mfa_problem = None
            if found.mfa_enabled:
                if body.mfa_code is None:
                    mfa_problem = "This account needs a TOTP code: send mfa_code"
                elif not verify_totp(kit, found, body.mfa_code):
                    mfa_problem = "Invalid TOTP code"
    if user_id is None:
        _record_attempt(kit, body.email, ctx.ip_address, succeeded=False)
        raise AuthError("Invalid email or password")
    if mfa_problem is not None:
        if body.mfa_code is not None:
            _record_attempt(kit, body.email, ctx.ip_address, succeeded=False)
        raise AuthError(mfa_problem, details={"mfa_required": True})
    kit.keys.active()
    with UnitOfWork(kit.db) as uow:
        user = uow.session.get(User, user_id)
        if user is None:  # deleted between the two units of work
            raise AuthError("Invalid email or password")
        user.last_login_at = utcnow()
        if user.hashed_password and needs_rehash(user.hashed_password):
            user.hashed_password = hash_password(body.password)
        uow.session.add(
            LoginAttempt(
                email=body.email, ip_address=audit.normalize_ip(ctx.ip_address), succeeded=True
            )
        )
        access, refresh, principal = _issue_tokens(kit, uow, user)
        audit.record(
            uow, ctx.with_principal(principal), "auth.login", AuditResourceType.USER, user.id
        )
        uow.commit()
        return LoginResponse(
            user=UserSummary.model_validate(user),
            access_token=access,
            refresh_token=refresh,
            expires_in=kit.settings.access_token_ttl_seconds,
        )


def _revoke_family(kit: AuthKit, family_id: uuid.UUID) -> None:
    with UnitOfWork(kit.db) as uow:
        uow.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        uow.commit()


def refresh(kit: AuthKit, ctx: RequestContext, token: str) -> RefreshResponse:
    """Exchange a refresh token for a new access token and a new refresh token.

    A refresh token works once. Presenting one that was already used means it was copied:
    the whole family (every token descended from the same login) is revoked.
    """
    invalid = AuthError("Invalid refresh token", code=ErrorCode.AUTH_INVALID_CREDENTIALS)
    now = utcnow()
    kit.keys.active()
    with UnitOfWork(kit.db) as uow:
        row = uow.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == hash_token(token))
        )
        if row is None or row.revoked_at is not None:
            raise invalid
        if row.used_at is not None:
            family = row.family_id
            uow.rollback()
            _revoke_family(kit, family)
            raise AuthError(
                "Refresh token reused; every session of this login is revoked",
                details={"reason": "reuse"},
            )
        if row.expires_at <= now:
            raise AuthError("Refresh token expired", code=ErrorCode.AUTH_TOKEN_EXPIRED)
        # Compare-and-set: of two concurrent refreshes with one token, one wins.
        claimed = uow.session.execute(
            update(RefreshToken)
            .where(RefreshToken.id == row.id, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            family = row.family_id
            uow.rollback()
            _revoke_family(kit, family)
            raise AuthError("Refresh token reused", details={"reason": "reuse"})
        user = uow.session.get(User, row.user_id)
        if user is None or user.status != "active":
            raise invalid
        access, new_refresh, principal = _issue_tokens(kit, uow, user, family_id=row.family_id)
        audit.record(
            uow, ctx.with_principal(principal), "auth.refresh", AuditResourceType.USER, user.id
        )
        uow.commit()
        return RefreshResponse(
            access_token=access,
            refresh_token=new_refresh,
            expires_in=kit.settings.access_token_ttl_seconds,
        )


def logout(kit: AuthKit, ctx: RequestContext, token: str) -> None:
    """Revoke the refresh token's family: that login can no longer refresh."""
    with UnitOfWork(kit.db) as uow:
        row = uow.session.scalar(
            select(RefreshToken).where(RefreshToken.token_hash == hash_token(token))
        )
        if row is None:
            raise AuthError("Invalid refresh token")
        uow.session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        user = uow.session.get(User, row.user_id)
        principal = Principal(
            tenant_id=row.tenant_id,
            user_id=row.user_id,
            email=user.email if user else None,
            roles=(),
            permissions=frozenset(),
        )
        audit.record(
            uow, ctx.with_principal(principal), "auth.logout", AuditResourceType.USER, row.user_id
        )
        uow.commit()
