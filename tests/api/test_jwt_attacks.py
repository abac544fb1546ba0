"""Forged, expired and malformed access tokens are all refused with 401."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.api.conftest import Account, Api, error_of


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(account: Account, **changes: Any) -> dict[str, Any]:
    claims = jwt.decode(account.access_token, options={"verify_signature": False})
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _kid(account: Account) -> str:
    return str(jwt.get_unverified_header(account.access_token)["kid"])


def alg_none(api: Api, account: Account) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": _kid(account)}).encode())
    payload = _b64(json.dumps(_claims(account, roles=["owner"])).encode())
    return f"{header}.{payload}."


def hs256_with_public_key(api: Api, account: Account) -> str:
    jwks = api.client().get("/.well-known/jwks.json").json()
    public = jwt.PyJWK(jwks["keys"][0]).key
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": _kid(account)}).encode())
    payload = _b64(json.dumps(_claims(account)).encode())
    import hashlib
    import hmac

    signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def wrong_key(api: Api, account: Account) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(_claims(account), other, algorithm="RS256", headers={"kid": _kid(account)})


def unknown_kid(api: Api, account: Account) -> str:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(_claims(account), other, algorithm="RS256", headers={"kid": "attacker"})


def tampered_payload(api: Api, account: Account) -> str:
    header, _, signature = account.access_token.split(".")
    payload = _b64(json.dumps(_claims(account, tenant_id=account.extra["other_tenant"])).encode())
    return f"{header}.{payload}.{signature}"


def garbage(api: Api, account: Account) -> str:
    return "not-a-token"


def _signed_with_server_key(api: Api, claims: dict[str, Any], kid: str) -> str:
    from omium.services.auth.keys import SigningKeys

    keys = SigningKeys(api.runtime.db, token_ttl_seconds=3600)
    active = keys.active()
    assert active.kid == kid
    return jwt.encode(claims, active.private_key, algorithm="RS256", headers={"kid": kid})


def expired(api: Api, account: Account) -> str:
    now = int(time.time())
    claims = _claims(account, iat=now - 7200, exp=now - 3600)
    return _signed_with_server_key(api, claims, _kid(account))


ATTACKS: dict[str, Callable[[Api, Account], str]] = {
    "alg_none": alg_none,
    "hs256_signed_with_the_public_key": hs256_with_public_key,
    "wrong_key": wrong_key,
    "unknown_kid": unknown_kid,
    "tampered_payload": tampered_payload,
    "garbage": garbage,
    "expired": expired,
}

MISSING = ["sub", "tenant_id", "email", "roles", "permissions", "iat", "exp"]


@pytest.fixture
def victim(api: Api) -> Account:
    account = api.register()
    account.extra["other_tenant"] = api.register().tenant_id
    return account


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_forged_tokens_are_401(api: Api, victim: Account, attack: str) -> None:
    token = ATTACKS[attack](api, victim)
    response = api.client(token).get("/auth/me")
    assert response.status_code == 401
    expected = "AUTH_TOKEN_EXPIRED" if attack == "expired" else "AUTH_INVALID_CREDENTIALS"
    assert error_of(response)["code"] == expected


@pytest.mark.parametrize("claim", MISSING)
def test_a_token_missing_a_claim_is_401_even_when_properly_signed(
    api: Api, victim: Account, claim: str
) -> None:
    token = _signed_with_server_key(api, _claims(victim, **{claim: None}), _kid(victim))
    response = api.client(token).get("/auth/me")
    assert response.status_code == 401


def test_the_untouched_token_works(api: Api, victim: Account) -> None:
    assert api.client(victim.access_token).get("/auth/me").status_code == 200


@pytest.mark.parametrize("header", ["", "Bearer", "Basic abc", "Token x"])
def test_missing_or_malformed_authorization_is_401(api: Api, header: str) -> None:
    client = api.client()
    headers = {"Authorization": header} if header else {}
    response = client.get("/auth/me", headers=headers)
    assert response.status_code == 401
    assert error_of(response)["code"] == "AUTH_INVALID_CREDENTIALS"
