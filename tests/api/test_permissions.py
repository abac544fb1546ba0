"""Every route declares a permission; viewers cannot mutate; no credentials is 401."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from fastapi import FastAPI

from omium.api.app import create_app
from omium.api.permissions_doc import render, route_permissions
from omium.bootstrap import Runtime
from omium.services.auth.permissions import ALL_PERMISSIONS, SYSTEM_ROLES
from tests.api.conftest import Account, Api, error_of

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-permissions.md"
PSEUDO = {"public", "authenticated"}


@pytest.fixture
def app(api: Api) -> FastAPI:
    return create_app(Runtime(settings=api.runtime.settings, db=api.runtime.db))


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)


def test_every_route_declares_exactly_one_known_permission(app: FastAPI) -> None:
    for method, path, operation, permission in route_permissions(app):
        assert permission is not None, f"{method} {path} ({operation}) declares no permission"
        assert permission in PSEUDO or permission in ALL_PERMISSIONS, (method, path, permission)


def test_the_permissions_document_is_up_to_date(app: FastAPI) -> None:
    assert DOC.read_text() == render(app), (
        "docs/api-permissions.md is stale: python -m omium.api.permissions_doc "
        "> docs/api-permissions.md"
    )


def test_without_credentials_every_protected_route_is_401(api: Api, app: FastAPI) -> None:
    client = api.client()
    for method, path, _, permission in route_permissions(app):
        if permission == "public":
            continue
        response = client.request(method, _concrete(path), json={})
        assert response.status_code == 401, (method, path, response.text)
        assert error_of(response)["code"] == "AUTH_INVALID_CREDENTIALS"


def test_a_viewer_cannot_mutate_anything(api: Api, app: FastAPI, owner: Account) -> None:
    viewer = api.member(owner, "viewer")
    viewer_permissions = set(SYSTEM_ROLES["viewer"][1])
    checked = 0
    for method, path, _, permission in route_permissions(app):
        if permission in PSEUDO or permission in viewer_permissions:
            continue
        assert method != "GET", f"{path}: a read route needs a :read permission"
        response = viewer.client.request(method, _concrete(path), json={})
        assert response.status_code == 403, (method, path, response.text)
        error = error_of(response)
        assert error["code"] == "AUTH_INSUFFICIENT_PERMISSIONS"
        assert error["details"]["required_permission"] == permission
        checked += 1
    assert checked > 0


def test_a_viewer_can_read(api: Api, app: FastAPI, owner: Account) -> None:
    viewer = api.member(owner, "viewer")
    for method, path, _, permission in route_permissions(app):
        if method == "GET" and "{" not in path and permission not in PSEUDO:
            response = viewer.client.get(path)
            assert response.status_code == 200, (path, response.text)
