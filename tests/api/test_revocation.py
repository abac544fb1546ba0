"""Revocation through a real HTTP server: a token or key stops working when access is taken."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, update

from omium.services.auth.cache import PrincipalCache
from omium.store.models import AuditLog, User
from tests.api.conftest import Account, Api, error_of


def _roles(owner: Account) -> dict[str, str]:
    return {r["name"]: r["id"] for r in owner.client.get("/api/v1/roles").json()["roles"]}


def test_a_disabled_users_token_is_401_on_the_next_request(api: Api, owner: Account) -> None:
    developer = api.member(owner, "developer")
    assert developer.client.get("/api/v1/workflows").status_code == 200  # now cached
    disabled = owner.client.patch(f"/api/v1/users/{developer.user_id}", json={"status": "disabled"})
    assert disabled.status_code == 200
    response = developer.client.get("/api/v1/workflows")
    assert response.status_code == 401
    assert error_of(response)["code"] == "AUTH_INVALID_CREDENTIALS"
    # Enabled again, the old token stays dead: the user signs in anew.
    enabled = owner.client.patch(f"/api/v1/users/{developer.user_id}", json={"status": "active"})
    assert enabled.status_code == 200
    assert developer.client.get("/api/v1/workflows").status_code == 401
    assert error_of(developer.client.get("/api/v1/workflows"))["details"] == {
        "reason": "token_superseded"
    }
    fresh = api.client().post(
        "/auth/login", json={"email": developer.email, "password": "Correct-horse-42"}
    )
    assert fresh.status_code == 200
    assert api.client(fresh.json()["access_token"]).get("/api/v1/workflows").status_code == 200


def test_a_deleted_users_token_is_401(api: Api, owner: Account) -> None:
    viewer = api.member(owner, "viewer")
    assert viewer.client.get("/api/v1/workflows").status_code == 200
    # Signing in left an audit trail, which a user cannot be deleted from under.
    refused = owner.client.delete(f"/api/v1/users/{viewer.user_id}")
    assert refused.status_code == 409
    assert viewer.client.get("/api/v1/workflows").status_code == 200
    with api.runtime.db.session() as session:  # as the trail's retention would, in time
        session.execute(delete(AuditLog).where(AuditLog.user_id == uuid.UUID(viewer.user_id)))
        session.commit()
    assert owner.client.delete(f"/api/v1/users/{viewer.user_id}").status_code == 204
    response = viewer.client.get("/api/v1/workflows")
    assert response.status_code == 401
    assert error_of(response)["details"] == {"reason": "user_inactive"}


def test_a_role_change_supersedes_the_token_and_refresh_brings_the_new_roles(
    api: Api, owner: Account
) -> None:
    viewer = api.member(owner, "viewer")
    assert (
        viewer.client.post("/api/v1/roles", json={"name": "x", "permissions": []}).status_code
        == 403
    )
    granted = owner.client.put(f"/api/v1/users/{viewer.user_id}/roles/{_roles(owner)['admin']}")
    assert granted.status_code == 200
    stale = viewer.client.get("/api/v1/workflows")
    assert stale.status_code == 401
    assert error_of(stale)["details"] == {"reason": "token_superseded"}
    refreshed = api.client().post("/auth/refresh", json={"refresh_token": viewer.refresh_token})
    assert refreshed.status_code == 200, refreshed.text
    admin = api.client(refreshed.json()["access_token"])
    assert admin.post("/api/v1/roles", json={"name": "x", "permissions": []}).status_code == 201
    # Editing a custom role moves the epoch of everyone holding it.
    custom = owner.client.post(
        "/api/v1/roles", json={"name": "reader", "permissions": ["workflow:read"]}
    ).json()["role"]
    member = api.member(owner, "viewer")
    assert (
        owner.client.put(f"/api/v1/users/{member.user_id}/roles/{custom['id']}").status_code == 200
    )
    login = api.client().post(
        "/auth/login", json={"email": member.email, "password": "Correct-horse-42"}
    )
    member_client = api.client(login.json()["access_token"])
    assert member_client.get("/api/v1/workflows").status_code == 200
    patched = owner.client.patch(f"/api/v1/roles/{custom['id']}", json={"permissions": []})
    assert patched.status_code == 200
    assert member_client.get("/api/v1/workflows").status_code == 401
    # The owner's own token was untouched by all of this.
    assert owner.client.get("/api/v1/workflows").status_code == 200


def test_a_revoked_key_in_the_cache_is_401_at_once(api: Api, owner: Account) -> None:
    created = owner.client.post("/api/v1/api-keys", json={"name": "ci"}).json()["api_key"]
    client = api.client(str(created["key"]))
    for _ in range(3):
        assert client.get("/api/v1/workflows").status_code == 200
    assert owner.client.delete(f"/api/v1/api-keys/{created['id']}").status_code == 204
    assert client.get("/api/v1/workflows").status_code == 401


def test_another_processs_change_is_seen_within_the_cache_lifetime(
    api: Api, owner: Account
) -> None:
    now = [1000.0]
    api.kit.authenticator.cache = PrincipalCache(5.0, clock=lambda: now[0])
    developer = api.member(owner, "developer")
    assert developer.client.get("/api/v1/workflows").status_code == 200
    # Another process disables the user: this process's cache does not hear of it...
    with api.runtime.db.session() as session:
        session.execute(
            update(User)
            .where(User.id == uuid.UUID(developer.user_id))
            .values(status="disabled", auth_epoch=User.auth_epoch + 1)
        )
        session.commit()
    assert developer.client.get("/api/v1/workflows").status_code == 200
    # ...for at most the cache's lifetime.
    now[0] += 5.0
    assert developer.client.get("/api/v1/workflows").status_code == 401
