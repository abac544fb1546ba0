"""Authentication (LLD §2.1): register, login, refresh, logout, MFA, the caller, JWKS."""

from __future__ import annotations

from fastapi import APIRouter, Response

from omium.api.deps import AuthenticatedCtx, KitDep, PublicCtx
from omium.api.errors import ERROR_RESPONSES
from omium.schemas.auth import (
    Jwks,
    LoginRequest,
    LoginResponse,
    LogoutRequest,
    Me,
    MfaCodeRequest,
    MfaEnrollResponse,
    MfaStatus,
    RefreshRequest,
    RefreshResponse,
    RegisterRequest,
    RegisterResponse,
)
from omium.services.auth import accounts, mfa
from omium.services.auth.grants import user_grants
from omium.store.models import User
from omium.store.uow import UnitOfWork

router = APIRouter(prefix="/auth", tags=["auth"], responses=ERROR_RESPONSES)
wellknown = APIRouter(tags=["auth"])


@router.post("/register", operation_id="register", status_code=201)
def register(body: RegisterRequest, ctx: PublicCtx, kit: KitDep) -> RegisterResponse:
    """Create a tenant (unique slug), its system roles and its owner; returns tokens."""
    return accounts.register(kit, ctx, body)


@router.post("/login", operation_id="login")
def login(body: LoginRequest, ctx: PublicCtx, kit: KitDep) -> LoginResponse:
    """Exchange email and password (and a TOTP code when MFA is on) for tokens."""
    return accounts.login(kit, ctx, body)


@router.post("/refresh", operation_id="refresh_token")
def refresh(body: RefreshRequest, ctx: PublicCtx, kit: KitDep) -> RefreshResponse:
    """Rotate a refresh token: a new access token and a new refresh token."""
    return accounts.refresh(kit, ctx, body.refresh_token)


@router.post("/logout", operation_id="logout", status_code=204)
def logout(body: LogoutRequest, ctx: PublicCtx, kit: KitDep) -> Response:
    """Revoke the refresh token and every token rotated from the same login."""
    accounts.logout(kit, ctx, body.refresh_token)
    return Response(status_code=204)


@router.get("/me", operation_id="get_me")
def me(ctx: AuthenticatedCtx, kit: KitDep) -> Me:
    """The calling user, with their current roles and permissions."""
    with UnitOfWork(kit.db, read_only=True) as uow:
        if ctx.user_id is None:
            from omium.errors import NotFoundError

            raise NotFoundError("This API key has no user")
        user = uow.repo(User, ctx.tenant_id).require(ctx.user_id)
        roles, permissions = user_grants(uow.session, user.id)
        return Me(
            id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            tenant_id=user.tenant_id,
            roles=roles,
            permissions=permissions,
            mfa_enabled=bool(user.mfa_enabled),
            last_login_at=user.last_login_at,
        )


@router.post("/mfa/enroll", operation_id="mfa_enroll")
def mfa_enroll(ctx: AuthenticatedCtx, kit: KitDep) -> MfaEnrollResponse:
    """Start TOTP enrolment: returns the secret and an otpauth:// URI, once."""
    return mfa.enroll(kit, ctx)


@router.post("/mfa/verify", operation_id="mfa_verify")
def mfa_verify(body: MfaCodeRequest, ctx: AuthenticatedCtx, kit: KitDep) -> MfaStatus:
    """Confirm enrolment with a current code; login asks for a code from then on."""
    return mfa.verify(kit, ctx, body.code)


@router.post("/mfa/disable", operation_id="mfa_disable")
def mfa_disable(body: MfaCodeRequest, ctx: AuthenticatedCtx, kit: KitDep) -> MfaStatus:
    """Turn MFA off (needs a current code)."""
    return mfa.disable(kit, ctx, body.code)


@wellknown.get("/.well-known/jwks.json", operation_id="jwks")
def jwks(kit: KitDep) -> Jwks:
    """The public keys access tokens are signed with (RS256)."""
    return Jwks.model_validate(kit.keys.jwks())
