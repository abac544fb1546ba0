"""``omium keys``: API keys of your tenant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from omium.cli._output import JsonOpt, err, out, print_json, table, when
from omium.cli._remote import ServerOpt, client

app = typer.Typer(
    help="API keys (create, list, revoke) and the keys access tokens are signed with.",
    no_args_is_help=True,
)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="A name to recognise the key by.")],
    permission: Annotated[
        list[str] | None,
        typer.Option("--permission", "-p", help="A permission (e.g. execution:read); repeatable."),
    ] = None,
    expires: Annotated[
        datetime | None, typer.Option(help="Expiry (ISO date/time); default: never.")
    ] = None,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create an API key. Its secret is printed once: store it now."""
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)  # a date without a zone is UTC
    with client(server) as c:
        created = c.create_api_key(name, permissions=permission, expires_at=expires)
    if json_:
        print_json(created)
        return
    out.print(created.key)
    err.print(
        f"[dim]API key {created.id} ({created.key_prefix}...). "
        "This is the only time the secret is shown; use it as OMIUM_API_KEY.[/dim]"
    )


@app.command("list")
def list_(
    limit: Annotated[int, typer.Option(min=1, max=200, help="Page size.")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many.")] = 0,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List API keys (never their secrets)."""
    with client(server) as c:
        page = c.list_api_keys(limit=limit, offset=offset)
    keys = page.api_keys
    if json_:
        print_json(page)
        return
    table(
        ["id", "name", "prefix", "permissions", "expires", "last used", "revoked"],
        (
            (
                k.id,
                k.name,
                k.key_prefix,
                ", ".join(k.permissions) or "(role's)",
                when(k.expires_at),
                when(k.last_used_at),
                when(k.revoked_at),
            )
            for k in keys
        ),
    )


@app.command()
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id.")],
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Revoke an API key at once."""
    with client(server) as c:
        c.revoke_api_key(key_id)
    if json_:
        print_json({"id": key_id, "revoked": True})
    else:
        out.print(f"API key {key_id} revoked")
