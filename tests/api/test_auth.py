"""Register, login, refresh, logout, MFA and lockout through a real HTTP server."""

from __future__ import annotations

from typing import Any

import jwt
import pyotp
import pytest
from sqlalchemy import func, select

from omium.store.models import AuditLog, Role, Tenant, User
from tests.api.conftest import PASSWORD, Account, Api, error_of


def test_register_creates_tenant_owner_and_system_roles(api: Api) -> None:
    response = api.client().post(
        "/auth/register",
        json={
            "email": "John.Doe@Example.com",
            "password": "SecurePassword123!",
            "first_name": "John",
            "last_name": "Doe",
            "tenant_name": "Acme Corp",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "john.doe@example.com"
    assert body["user"]["tenant_id"] == body["tenant"]["id"]
    assert body["tenant"]["name"] == "Acme Corp"
    assert body["tenant"]["slug"] == "acme-corp"
    assert body["expires_in"] == 3600
    with api.runtime.db.session() as session:
        roles = {r.name: r for r in session.scalars(select(Role)).all()}
        assert set(roles) == {"owner", "admin", "developer", "viewer"}
        assert all(r.is_system_role for r in roles.values())
        user = session.scalar(select(User))
        assert user is not None
        assert user.hashed_password is not None
        assert user.hashed_password.startswith("$argon2id$")
        actions = session.scalars(select(AuditLog.action)).all()
        assert actions == ["auth.register"]


def test_a_second_tenant_with_the_same_name_gets_its_own_slug(api: Api) -> None:
    api.register(tenant_name="Acme Corp")
    api.register(tenant_name="Acme Corp")
    with api.runtime.db.session() as session:
        slugs = session.scalars(select(Tenant.slug)).all()
    assert len(set(slugs)) == 2
    assert all(s.startswith("acme-corp") for s in slugs)


def test_the_access_token_carries_the_lld_claims_and_a_published_key(api: Api) -> None:
    account = api.register()
    header = jwt.get_unverified_header(account.access_token)
    assert header["alg"] == "RS256"
    assert header["typ"] == "JWT"
    jwks = api.client().get("/.well-known/jwks.json").json()
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public = jwt.PyJWK(key).key
    claims = jwt.decode(account.access_token, public, algorithms=["RS256"])
    assert claims["sub"] == account.user_id
    assert claims["tenant_id"] == account.tenant_id
    assert claims["email"] == account.email
    assert claims["roles"] == ["owner"]
    assert "execution:create" in claims["permissions"]
    assert "checkpoint:rollback" in claims["permissions"]
    assert claims["exp"] - claims["iat"] == 3600


def test_duplicate_email_is_409(api: Api) -> None:
    account = api.register()
    response = api.client().post(
        "/auth/register",
        json={"email": account.email, "password": PASSWORD, "tenant_name": "Other"},
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "RESOURCE_CONFLICT"


@pytest.mark.parametrize("password", ["short1", "onlyletterslong", "1234567890123"])
def test_weak_passwords_are_refused(api: Api, password: str) -> None:
    response = api.client().post(
        "/auth/register",
        json={"email": "weak@example.com", "password": password, "tenant_name": "W"},
    )
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "INVALID_FIELD_FORMAT"
    assert error["details"]["field"] == "body.password"


def test_login_and_me(api: Api) -> None:
    account = api.register()
    response = api.client().post("/auth/login", json={"email": account.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["id"] == account.user_id
    me = api.client(body["access_token"]).get("/auth/me")
    assert me.status_code == 200
    assert me.json()["roles"] == ["owner"]
    assert me.json()["last_login_at"] is not None


def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    account = api.register()
    wrong = api.client().post("/auth/login", json={"email": account.email, "password": "nope"})
    unknown = api.client().post(
        "/auth/login", json={"email": "ghost@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert error_of(wrong)["code"] == error_of(unknown)["code"] == "AUTH_INVALID_CREDENTIALS"
    assert error_of(wrong)["message"] == error_of(unknown)["message"]


@pytest.fixture
def api_settings() -> dict[str, Any]:
    return {"login_max_failures": 3, "login_lockout_seconds": 600}


def test_repeated_failures_lock_the_account_even_for_the_right_password(api: Api) -> None:
    account = api.register()
    client = api.client()
    for _ in range(3):
        assert (
            client.post("/auth/login", json={"email": account.email, "password": "bad"}).status_code
            == 401
        )
    locked = client.post("/auth/login", json={"email": account.email, "password": PASSWORD})
    assert locked.status_code == 429
    assert error_of(locked)["code"] == "RATE_LIMIT_EXCEEDED"
    assert 500 <= int(locked.headers["Retry-After"]) <= 600


def test_refresh_rotates_and_reuse_revokes_the_family(api: Api) -> None:
    account = api.register()
    client = api.client()
    first = client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert first.status_code == 200
    rotated = first.json()["refresh_token"]
    assert rotated != account.refresh_token
    assert api.client(first.json()["access_token"]).get("/auth/me").status_code == 200
    # The old token again: a replay. It fails, and so does the token rotated from it.
    replay = client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert replay.status_code == 401
    assert error_of(replay)["details"]["reason"] == "reuse"
    after = client.post("/auth/refresh", json={"refresh_token": rotated})
    assert after.status_code == 401


def test_logout_revokes_the_refresh_token(api: Api) -> None:
    account = api.register()
    client = api.client()
    assert (
        client.post("/auth/logout", json={"refresh_token": account.refresh_token}).status_code
        == 204
    )
    again = client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    assert again.status_code == 401


def test_garbage_refresh_token_is_401(api: Api) -> None:
    response = api.client().post("/auth/refresh", json={"refresh_token": "omr_nothing"})
    assert response.status_code == 401


def _enable_mfa(account: Account) -> pyotp.TOTP:
    enrolled = account.client.post("/auth/mfa/enroll")
    assert enrolled.status_code == 200
    body = enrolled.json()
    assert body["otpauth_uri"].startswith("otpauth://totp/")
    totp = pyotp.TOTP(body["secret"])
    bad = account.client.post(
        "/auth/mfa/verify", json={"code": "000000" if totp.now() != "000000" else "111111"}
    )
    assert bad.status_code == 422
    verified = account.client.post("/auth/mfa/verify", json={"code": totp.now()})
    assert verified.status_code == 200
    assert verified.json() == {"mfa_enabled": True}
    return totp


def test_mfa_enroll_verify_then_login_asks_for_the_code(api: Api) -> None:
    account = api.register()
    totp = _enable_mfa(account)
    with api.runtime.db.session() as session:
        user = session.get(User, __import__("uuid").UUID(account.user_id))
        assert user is not None and user.mfa_secret is not None
        assert totp.secret not in user.mfa_secret  # stored encrypted
    client = api.client()
    no_code = client.post("/auth/login", json={"email": account.email, "password": PASSWORD})
    assert no_code.status_code == 401
    assert error_of(no_code)["details"]["mfa_required"] is True
    ok = client.post(
        "/auth/login",
        json={"email": account.email, "password": PASSWORD, "mfa_code": totp.now()},
    )
    assert ok.status_code == 200
    disabled = account.client.post("/auth/mfa/disable", json={"code": totp.now()})
    assert disabled.json() == {"mfa_enabled": False}
    plain = client.post("/auth/login", json={"email": account.email, "password": PASSWORD})
    assert plain.status_code == 200


def test_every_auth_change_is_audited(api: Api) -> None:
    account = api.register()
    client = api.client()
    client.post("/auth/login", json={"email": account.email, "password": PASSWORD})
    client.post("/auth/refresh", json={"refresh_token": account.refresh_token})
    with api.runtime.db.session() as session:
        rows = session.execute(
            select(AuditLog.action, func.count()).group_by(AuditLog.action)
        ).all()
    assert dict(rows) == {"auth.register": 1, "auth.login": 1, "auth.refresh": 1}
