"""API keys, users and roles through a real HTTP server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from omium.store.models import ApiKey, AuditLog
from tests.api.conftest import PASSWORD, Account, Api, error_of


def _create_key(owner: Account, **body: object) -> dict[str, object]:
    response = owner.client.post("/api/v1/api-keys", json={"name": "ci", **body})
    assert response.status_code == 201, response.text
    key: dict[str, object] = response.json()["api_key"]
    return key


def test_api_key_works_as_bearer_and_is_stored_hashed(api: Api, owner: Account) -> None:
    key = _create_key(owner, permissions=["workflow:read", "role:read"])
    secret = str(key["key"])
    assert secret.startswith(str(key["key_prefix"]) + "_")
    assert key["permissions"] == ["workflow:read", "role:read"]
    client = api.client(secret)
    assert client.get("/api/v1/roles").status_code == 200
    denied = client.get("/api/v1/users")
    assert denied.status_code == 403
    assert error_of(denied)["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
    with api.runtime.db.session() as session:
        row = session.get(ApiKey, uuid.UUID(str(key["id"])))
        assert row is not None
        assert secret not in row.key_hash
        assert row.last_used_at is not None
    listed = owner.client.get("/api/v1/api-keys").json()
    assert [k["id"] for k in listed["api_keys"]] == [key["id"]]
    assert "key" not in listed["api_keys"][0]
    assert listed["pagination"] == {"total": 1, "limit": 50, "offset": 0}


def test_revoked_key_is_401(api: Api, owner: Account) -> None:
    key = _create_key(owner)
    client = api.client(str(key["key"]))
    assert client.get("/api/v1/roles").status_code == 200
    assert owner.client.delete(f"/api/v1/api-keys/{key['id']}").status_code == 204
    response = client.get("/api/v1/roles")
    assert response.status_code == 401
    assert error_of(response)["code"] == "AUTH_INVALID_CREDENTIALS"
    got = owner.client.get(f"/api/v1/api-keys/{key['id']}").json()
    assert got["revoked_at"] is not None


def test_expired_key_is_401(api: Api, owner: Account) -> None:
    key = _create_key(owner, expires_at=(datetime.now(UTC) + timedelta(hours=1)).isoformat())
    with api.runtime.db.session() as session:
        row = session.get(ApiKey, uuid.UUID(str(key["id"])))
        assert row is not None
        row.created_at = datetime.now(UTC) - timedelta(days=2)
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.commit()
    response = api.client(str(key["key"])).get("/api/v1/roles")
    assert response.status_code == 401
    assert error_of(response)["code"] == "AUTH_TOKEN_EXPIRED"


def test_a_key_cannot_exceed_its_creator(api: Api, owner: Account) -> None:
    viewer = api.member(owner, "viewer")
    denied = viewer.client.post(
        "/api/v1/api-keys", json={"name": "x", "permissions": ["workflow:read"]}
    )
    assert denied.status_code == 403  # viewers cannot create keys at all
    developer = api.member(owner, "developer")
    too_much = developer.client.post(
        "/api/v1/api-keys", json={"name": "x", "permissions": ["user:delete"]}
    )
    assert too_much.status_code == 403
    unknown = developer.client.post(
        "/api/v1/api-keys", json={"name": "x", "permissions": ["launch:missiles"]}
    )
    assert unknown.status_code == 422
    assert error_of(unknown)["details"]["field"] == "body.permissions"


def test_a_key_loses_what_its_user_loses(api: Api, owner: Account) -> None:
    developer = api.member(owner, "developer")
    key = _create_key(developer, permissions=["workflow:read"])
    client = api.client(str(key["key"]))
    assert client.get("/api/v1/roles").status_code == 403  # not in the key
    roles = {r["name"]: r["id"] for r in owner.client.get("/api/v1/roles").json()["roles"]}
    assert (
        owner.client.patch(
            f"/api/v1/users/{developer.user_id}", json={"status": "disabled"}
        ).status_code
        == 200
    )
    assert client.get("/api/v1/api-keys").status_code == 401
    assert roles["developer"]


def test_developer_sees_only_own_keys_owner_sees_all(api: Api, owner: Account) -> None:
    developer = api.member(owner, "developer")
    mine = _create_key(developer)
    other = _create_key(owner)
    seen = [k["id"] for k in developer.client.get("/api/v1/api-keys").json()["api_keys"]]
    assert seen == [mine["id"]]
    assert developer.client.get(f"/api/v1/api-keys/{other['id']}").status_code == 404
    assert developer.client.delete(f"/api/v1/api-keys/{other['id']}").status_code == 404
    every = {k["id"] for k in owner.client.get("/api/v1/api-keys").json()["api_keys"]}
    assert every == {mine["id"], other["id"]}


def test_users_create_list_update_roles_delete(api: Api, owner: Account) -> None:
    created = owner.client.post(
        "/api/v1/users",
        json={"email": "Dev@Example.com", "password": PASSWORD, "roles": ["developer"]},
    )
    assert created.status_code == 201
    user = created.json()["user"]
    assert user["email"] == "dev@example.com"
    assert [r["name"] for r in user["roles"]] == ["developer"]
    assert user["status"] == "active"
    invited = owner.client.post("/api/v1/users", json={"email": "inv@example.com"}).json()["user"]
    assert invited["status"] == "invited"
    assert [r["name"] for r in invited["roles"]] == ["viewer"]
    cannot = api.client().post(
        "/auth/login", json={"email": "inv@example.com", "password": PASSWORD}
    )
    assert cannot.status_code == 401
    listed = owner.client.get("/api/v1/users").json()
    assert listed["pagination"]["total"] == 3
    roles = {r["name"]: r["id"] for r in owner.client.get("/api/v1/roles").json()["roles"]}
    granted = owner.client.put(f"/api/v1/users/{user['id']}/roles/{roles['admin']}")
    assert sorted(r["name"] for r in granted.json()["user"]["roles"]) == ["admin", "developer"]
    revoked = owner.client.delete(f"/api/v1/users/{user['id']}/roles/{roles['developer']}")
    assert [r["name"] for r in revoked.json()["user"]["roles"]] == ["admin"]
    renamed = owner.client.patch(f"/api/v1/users/{user['id']}", json={"first_name": "Grace"})
    assert renamed.json()["user"]["first_name"] == "Grace"
    assert owner.client.delete(f"/api/v1/users/{user['id']}").status_code == 204
    assert owner.client.get(f"/api/v1/users/{user['id']}").status_code == 404


def test_owner_protections(api: Api, owner: Account) -> None:
    admin = api.member(owner, "admin")
    roles = {r["name"]: r["id"] for r in owner.client.get("/api/v1/roles").json()["roles"]}
    # Only an owner grants owner; nobody removes the last owner.
    denied = admin.client.put(f"/api/v1/users/{admin.user_id}/roles/{roles['owner']}")
    assert denied.status_code == 403
    last = owner.client.delete(f"/api/v1/users/{owner.user_id}/roles/{roles['owner']}")
    assert last.status_code == 409
    assert admin.client.delete(f"/api/v1/users/{owner.user_id}").status_code == 409
    assert owner.client.delete(f"/api/v1/users/{owner.user_id}").status_code == 409


def test_custom_roles(api: Api, owner: Account) -> None:
    created = owner.client.post(
        "/api/v1/roles",
        json={"name": "auditor", "permissions": ["audit:read", "workflow:read"]},
    )
    assert created.status_code == 201
    role = created.json()["role"]
    assert role["is_system_role"] is False
    assert role["permissions"] == ["workflow:read", "audit:read"]
    dup = owner.client.post("/api/v1/roles", json={"name": "auditor", "permissions": []})
    assert dup.status_code == 409
    updated = owner.client.patch(
        f"/api/v1/roles/{role['id']}", json={"permissions": ["audit:read"]}
    )
    assert updated.json()["role"]["permissions"] == ["audit:read"]
    system = {r["name"]: r["id"] for r in owner.client.get("/api/v1/roles").json()["roles"]}
    assert (
        owner.client.patch(f"/api/v1/roles/{system['viewer']}", json={"name": "x"}).status_code
        == 409
    )
    assert owner.client.delete(f"/api/v1/roles/{system['owner']}").status_code == 409
    # A user with only the custom role gets exactly its permissions.
    member = owner.client.post(
        "/api/v1/users",
        json={"email": "aud@example.com", "password": PASSWORD, "roles": ["auditor"]},
    )
    assert member.status_code == 201
    login = api.client().post(
        "/auth/login", json={"email": "aud@example.com", "password": PASSWORD}
    )
    auditor = api.client(login.json()["access_token"])
    assert auditor.get("/api/v1/roles").status_code == 403
    assert owner.client.delete(f"/api/v1/roles/{role['id']}").status_code == 204


def test_changes_are_audited_with_actor_and_values(api: Api, owner: Account) -> None:
    key = _create_key(owner, permissions=["role:create"])
    api.client(str(key["key"])).post(
        "/api/v1/roles",
        json={"name": "r1", "permissions": []},
        headers={"X-Request-ID": "req_" + uuid.uuid4().hex, "User-Agent": "pytest-agent"},
    )
    with api.runtime.db.session() as session:
        row = session.scalar(select(AuditLog).where(AuditLog.action == "role.create"))
        assert row is not None
        assert row.api_key_id == uuid.UUID(str(key["id"]))
        assert str(row.user_id) == owner.user_id
        assert row.resource_type == "role"
        assert row.new_values == {"name": "r1", "description": None, "permissions": []}
        assert row.user_agent == "pytest-agent"
        assert str(row.ip_address) == "127.0.0.1"
        assert row.request_id is not None
