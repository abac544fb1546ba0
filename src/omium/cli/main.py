"""The ``omium`` command line."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from rich.console import Console

from omium import __version__
from omium.cli import analytics, auth, checkpoints, executions, failures, keys, workflows
from omium.cli import demo as demo_cmd
from omium.cli import run as run_cmd
from omium.config import Settings, load_settings
from omium.errors import ConfigurationError

app = typer.Typer(
    name="omium",
    help="Omium: durable, self-healing runs of multi-agent LLM workflows.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Manage the metadata database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
# One `keys` group: API keys (omium.cli.keys) and the keys access tokens are signed with.
keys_app = keys.app
app.add_typer(keys_app, name="keys", rich_help_panel="Server")

app.command(rich_help_panel="Local")(demo_cmd.demo)
app.command(rich_help_panel="Local")(run_cmd.run)

# Commands that talk to a server (see omium.cli._remote), one module per group.
app.command(rich_help_panel="Server")(auth.login)
app.command(rich_help_panel="Server")(auth.logout)
app.add_typer(executions.app, name="executions", rich_help_panel="Server")
app.add_typer(checkpoints.app, name="checkpoints", rich_help_panel="Server")
app.add_typer(failures.app, name="failures", rich_help_panel="Server")
app.add_typer(workflows.app, name="workflows", rich_help_panel="Server")
app.command(rich_help_panel="Server")(analytics.analytics)

err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from None


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.value.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@app.command()
def version() -> None:
    """Print Omium's version."""
    typer.echo(__version__)


@app.command()
def server(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port of the REST API.")] = None,
) -> None:
    """Run Omium: upgrade the database, then serve the REST API (health at /health)."""
    import uvicorn

    from omium.api.app import create_app
    from omium.bootstrap import build_runtime

    settings = _settings()
    _setup_logging(settings)
    runtime = build_runtime(settings)
    bind_host = host or settings.api_host
    bind_port = settings.api_port if port is None else port
    err.print(
        f"Omium {__version__} on http://{bind_host}:{bind_port} "
        f"(database: {runtime.db.engine.url.render_as_string(hide_password=True)})"
    )
    try:
        uvicorn.run(
            create_app(runtime),
            host=bind_host,
            port=bind_port,
            log_level=settings.log_level.value,
        )
    finally:
        runtime.close()


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Bring the database schema to the newest revision (or to REVISION)."""
    from omium.store.db import Database
    from omium.store.migrate import current_revision, upgrade

    settings = _settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.database_url)
    try:
        upgrade(db.engine, revision)
        typer.echo(f"database at revision {current_revision(db.engine)}")
    finally:
        db.dispose()


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision."""
    from omium.store.db import Database
    from omium.store.migrate import current_revision

    db = Database(_settings().database_url)
    try:
        typer.echo(current_revision(db.engine) or "none")
    finally:
        db.dispose()


@keys_app.command("rotate-signing")
def keys_rotate_signing() -> None:
    """Make a new RS256 signing key the active one; tokens signed by the old key stay valid
    until they expire (the old key stays in /.well-known/jwks.json until then)."""
    from omium.bootstrap import build_runtime
    from omium.services.auth.keys import rotate_signing_key

    runtime = build_runtime(_settings())
    try:
        kid = rotate_signing_key(runtime.db)
        typer.echo(f"new signing key {kid}")
    finally:
        runtime.close()


def main() -> None:
    try:
        app()
    except ConfigurationError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        sys.exit(2)
