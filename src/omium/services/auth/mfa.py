"""TOTP multi-factor authentication: enroll, verify (turns it on), disable.

The TOTP secret is stored encrypted (Fernet, with the server secret) in ``users.mfa_secret``.
"""

from __future__ import annotations

import pyotp
from cryptography.fernet import InvalidToken

from omium.errors import AuthError, ConflictError, ErrorCode, ValidationError
from omium.schemas.auth import MfaEnrollResponse, MfaStatus
from omium.services import audit
from omium.services.auth.kit import AuthKit
from omium.services.context import RequestContext
from omium.store.models import User
from omium.store.uow import UnitOfWork
from omium.types import AuditResourceType

ISSUER = "Omium"


def _secret(kit: AuthKit, user: User) -> str | None:
    if not user.mfa_secret:
        return None
    try:
        return kit.fernet.decrypt(user.mfa_secret.encode()).decode()
    except InvalidToken:
        return None


def verify_totp(kit: AuthKit, user: User, code: str) -> bool:
    """Whether ``code`` is the user's current TOTP code (one step of clock drift allowed)."""
    secret = _secret(kit, user)
    return secret is not None and pyotp.TOTP(secret).verify(code, valid_window=1)


def _user(uow: UnitOfWork, ctx: RequestContext) -> User:
    if ctx.user_id is None:
        raise AuthError("MFA belongs to a user; an API key cannot manage it")
    return uow.repo(User, ctx.tenant_id).require(ctx.user_id)


def enroll(kit: AuthKit, ctx: RequestContext) -> MfaEnrollResponse:
    """Start enrolment: a new secret, not yet enforced until a code verifies it."""
    with UnitOfWork(kit.db) as uow:
        user = _user(uow, ctx)
        if user.mfa_enabled:
            raise ConflictError("MFA is already enabled; disable it first")
        secret = pyotp.random_base32()
        user.mfa_secret = kit.fernet.encrypt(secret.encode()).decode()
        audit.record(uow, ctx, "auth.mfa_enroll", AuditResourceType.USER, user.id)
        uow.commit()
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
        return MfaEnrollResponse(secret=secret, otpauth_uri=uri)


def _check_code(kit: AuthKit, user: User, code: str) -> None:
    if not verify_totp(kit, user, code):
        raise ValidationError(
            "Invalid TOTP code",
            code=ErrorCode.INVALID_FIELD_FORMAT,
            details={"field": "body.code"},
        )


def verify(kit: AuthKit, ctx: RequestContext, code: str) -> MfaStatus:
    """Confirm enrolment with a current code: from now on login asks for one."""
    with UnitOfWork(kit.db) as uow:
        user = _user(uow, ctx)
        if user.mfa_secret is None:
            raise ConflictError("Enroll first: POST /auth/mfa/enroll")
        _check_code(kit, user, code)
        old = {"mfa_enabled": bool(user.mfa_enabled)}
        user.mfa_enabled = True
        audit.record(
            uow, ctx, "auth.mfa_enable", AuditResourceType.USER, user.id, old, {"mfa_enabled": True}
        )
        uow.commit()
        return MfaStatus(mfa_enabled=True)


def disable(kit: AuthKit, ctx: RequestContext, code: str) -> MfaStatus:
    """Turn MFA off; needs a current code."""
    with UnitOfWork(kit.db) as uow:
        user = _user(uow, ctx)
        if not user.mfa_enabled:
            raise ConflictError("MFA is not enabled")
        _check_code(kit, user, code)
        user.mfa_enabled = False
        user.mfa_secret = None
        audit.record(
            uow,
            ctx,
            "auth.mfa_disable",
            AuditResourceType.USER,
            user.id,
            {"mfa_enabled": True},
            {"mfa_enabled": False},
        )
        uow.commit()
        return MfaStatus(mfa_enabled=False)
