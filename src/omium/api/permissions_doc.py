"""The endpoint -> permission matrix, read from the app's routes (docs/api-permissions.md).

``python -m omium.api.permissions_doc > docs/api-permissions.md`` regenerates the document;
a test fails when the committed one differs, or when a route declares no permission.
"""

from __future__ import annotations

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from omium.services.auth.permissions import SYSTEM_ROLES

#: Routes open to anyone without a dependency saying so.
OPEN_ROUTES = {("GET", "/health"), ("GET", "/ready"), ("GET", "/.well-known/jwks.json")}


def _permissions(dependant: Dependant) -> list[str]:
    found: list[str] = []
    for dep in dependant.dependencies:
        permission = getattr(dep.call, "permission", None)
        if isinstance(permission, str):
            found.append(permission)
        found.extend(_permissions(dep))
    return found


def _api_routes(app: FastAPI) -> list[tuple[str, APIRoute]]:
    # FastAPI >= 0.16x keeps included routers lazily; iter_route_contexts flattens them.
    iterate = getattr(routing, "iter_route_contexts", None)
    if iterate is None:  # pragma: no cover - older FastAPI: routes are flat already
        return [(r.path, r) for r in app.routes if isinstance(r, APIRoute)]
    return [
        (str(rc.path), rc.original_route)
        for rc in iterate(app.routes)
        if isinstance(rc.original_route, APIRoute)
    ]


def route_permissions(app: FastAPI) -> list[tuple[str, str, str, str | None]]:
    """(method, path, operation id, permission or None) for every API route, sorted."""
    rows = []
    for path, route in _api_routes(app):
        found = _permissions(route.dependant)
        for method in sorted(route.methods or ()):
            permission = found[0] if len(found) == 1 else None
            if (method, path) in OPEN_ROUTES:
                permission = "public"
            rows.append((method, path, route.operation_id or route.name, permission))
    return sorted(rows, key=lambda r: (r[1], r[0]))


def render(app: FastAPI) -> str:
    lines = [
        "# API permissions",
        "",
        "Generated from the application's routes by `python -m omium.api.permissions_doc`;",
        "a test keeps this file in step with the code.",
        "",
        "`public`: no credentials. `authenticated`: any valid access token or API key.",
        "Otherwise the caller needs the permission (LLD §6.1 `resource:action`), granted",
        "through a role; an API key holds a subset of its creator's permissions.",
        "A missing permission is `403 AUTH_INSUFFICIENT_PERMISSIONS`.",
        "",
        "| Method | Path | Operation | Permission |",
        "| --- | --- | --- | --- |",
    ]
    for method, path, operation, permission in route_permissions(app):
        lines.append(f"| {method} | `{path}` | `{operation}` | `{permission}` |")
    lines += ["", "## System roles", ""]
    for name, (description, permissions) in SYSTEM_ROLES.items():
        lines.append(f"- **{name}**: {description}")
        lines.append(f"  `{'`, `'.join(permissions)}`")
    return "\n".join(lines) + "\n"


def main() -> None:
    from pathlib import Path

    from omium.api.app import create_app
    from omium.bootstrap import Runtime
    from omium.config import Settings
    from omium.store.db import Database

    settings = Settings(database_url="sqlite:////tmp/omium-permissions-doc.db")
    runtime = Runtime(settings=settings, db=Database(settings.database_url))
    try:
        print(render(create_app(runtime)), end="")
    finally:
        runtime.close()
        Path("/tmp/omium-permissions-doc.db").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
