"""Auth request and response bodies (LLD §2.1)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from omium.schemas.common import Email, Input, Name, Output

Password = Annotated[str, Field(min_length=1, max_length=1024)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
TotpCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class RegisterRequest(Input):
    email: Email
    password: Password
    first_name: PersonName | None = None
    last_name: PersonName | None = None
    tenant_name: Name


class LoginRequest(Input):
    email: Email
    password: Password
    mfa_code: TotpCode | None = Field(
        None, description="The current TOTP code; required when the account has MFA enabled."
    )


class RefreshRequest(Input):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class LogoutRequest(Input):
    refresh_token: Annotated[str, Field(min_length=1, max_length=512)]


class MfaCodeRequest(Input):
    code: TotpCode


class UserSummary(Output):
    id: uuid.UUID
    email: str
    first_name: str | None = None
    last_name: str | None = None
    tenant_id: uuid.UUID


class TenantSummary(Output):
    id: uuid.UUID
    name: str
    slug: str


class TokenPair(Output):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")


class RegisterResponse(TokenPair):
    user: UserSummary
    tenant: TenantSummary


class LoginResponse(TokenPair):
    user: UserSummary


class RefreshResponse(TokenPair):
    pass


class MfaEnrollResponse(Output):
    secret: str = Field(description="The TOTP secret (base32), shown once.")
    otpauth_uri: str = Field(description="otpauth:// URI for authenticator apps (QR code).")


class MfaStatus(Output):
    mfa_enabled: bool


class Jwk(Output):
    kty: str
    use: str
    alg: str
    kid: str
    n: str
    e: str


class Jwks(Output):
    keys: list[Jwk]


class Me(Output):
    id: uuid.UUID
    email: str
    first_name: str | None = None
    last_name: str | None = None
    tenant_id: uuid.UUID
    roles: list[str]
    permissions: list[str]
    mfa_enabled: bool
    last_login_at: datetime | None = None
