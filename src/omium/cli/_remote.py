"""What the commands that talk to a server share: where it is, credentials, errors.

The server URL comes from ``--server``, else ``OMIUM_SERVER``, else the one saved by
``omium login``, else http://127.0.0.1:8000. Credentials: ``OMIUM_API_KEY``, else the tokens
saved by ``omium login`` in the user's config directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from omium.cli._output import err
from omium.client import DEFAULT_SERVER, ApiError, Client
from omium.schemas.auth import TokenPair

ServerOpt = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="OMIUM_SERVER",
        help="URL of the Omium server (default: the one you logged in to, else "
        "http://127.0.0.1:8000).",
        show_envvar=True,
    ),
]

F = TypeVar("F", bound=Callable[..., Any])

# Exit codes scripts can rely on.
EXIT_ERROR = 1
EXIT_NOT_FOUND = 3
EXIT_AUTH = 4
EXIT_UNREACHABLE = 5


def config_dir() -> Path:
    """The user's config directory for Omium (``OMIUM_CONFIG_DIR`` overrides it)."""
    override = os.environ.get("OMIUM_CONFIG_DIR")
    return Path(override) if override else Path(typer.get_app_dir("omium"))


def credentials_path() -> Path:
    return config_dir() / "credentials.json"


def load_credentials() -> dict[str, Any]:
    path = credentials_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save_credentials(data: dict[str, Any]) -> Path:
    """Write the credentials file, readable by its owner only."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
    os.replace(tmp, path)
    return path


def forget_credentials() -> bool:
    try:
        credentials_path().unlink()
    except FileNotFoundError:
        return False
    return True


def resolve_server(server: str | None) -> str:
    saved = load_credentials().get("server")
    return (server or (saved if isinstance(saved, str) else None) or DEFAULT_SERVER).rstrip("/")


@contextmanager
def client(server: str | None) -> Iterator[Client]:
    """A client for the chosen server with the best credentials available; errors are
    printed as one line and turned into an exit code."""
    url = resolve_server(server)
    saved = load_credentials()
    api_key = os.environ.get("OMIUM_API_KEY") or None
    same_server = saved.get("server", "").rstrip("/") == url

    def keep(tokens: TokenPair) -> None:
        data = load_credentials()
        data.update(
            server=url, access_token=tokens.access_token, refresh_token=tokens.refresh_token
        )
        save_credentials(data)

    kwargs: dict[str, Any] = {"api_key": api_key}
    if api_key is None and same_server and saved.get("access_token"):
        kwargs = {
            "access_token": saved.get("access_token"),
            "refresh_token": saved.get("refresh_token"),
            "on_tokens": keep,
        }
    with handle_errors(), Client(url, **kwargs) as c:
        yield c


@contextmanager
def handle_errors() -> Iterator[None]:
    try:
        yield
    except ApiError as exc:
        err.print(
            f"[red]error:[/red] {exc.message} [dim]({exc.code.value}, {exc.status_code}"
            + (f", request_id={exc.request_id}" if exc.request_id else "")
            + ")[/dim]"
        )
        hint = {
            401: "log in with `omium login` or set OMIUM_API_KEY",
            403: "your role lacks the permission for this; ask a tenant admin",
        }.get(exc.status_code)
        if hint:
            err.print(f"[dim]hint: {hint}[/dim]")
        code = {401: EXIT_AUTH, 403: EXIT_AUTH, 404: EXIT_NOT_FOUND, 503: EXIT_UNREACHABLE}
        raise typer.Exit(code.get(exc.status_code, EXIT_ERROR)) from None
