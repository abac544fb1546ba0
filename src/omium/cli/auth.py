"""``omium login`` / ``omium logout``: a session with a server, kept in the user's config dir."""

from __future__ import annotations

from typing import Annotated

import typer

from omium.cli._output import JsonOpt, out, print_json
from omium.cli._remote import (
    ServerOpt,
    credentials_path,
    forget_credentials,
    handle_errors,
    load_credentials,
    resolve_server,
    save_credentials,
)
from omium.client import Client


def login(
    email: Annotated[str, typer.Option(prompt=True, help="Your account's email.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            envvar="OMIUM_PASSWORD",
            help="Your password (prompted, hidden, when not given).",
        ),
    ],
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Log in to a server; the session is kept for the other commands."""
    url = resolve_server(server)
    with handle_errors(), Client(url, api_key="") as c:
        tokens = c.login(email, password)
    path = save_credentials(
        {
            "server": url,
            "email": email,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
        }
    )
    if json_:
        print_json({"server": url, "email": email, "credentials": str(path)})
    else:
        out.print(f"logged in to {url} as {email} [dim](session in {path})[/dim]")


def logout(server: ServerOpt = None) -> None:
    """Log out: revoke the session on the server and forget it here."""
    saved = load_credentials()
    url = resolve_server(server)
    if saved.get("access_token"):
        try:
            with Client(
                url,
                access_token=saved.get("access_token"),
                refresh_token=saved.get("refresh_token"),
            ) as c:
                c.logout()
        except Exception:
            pass
    if forget_credentials():
        out.print(f"logged out [dim](removed {credentials_path()})[/dim]")
    else:
        out.print("not logged in")
