"""The ``omium`` command line."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
import uuid
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from omium import __version__
from omium.cli import analytics, auth, checkpoints, executions, failures, keys, workflows
from omium.cli import demo as demo_cmd
from omium.cli import run as run_cmd
from omium.config import Settings, load_settings
from omium.errors import ConfigurationError

if TYPE_CHECKING:
    from omium.store.db import Database

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
# `checkpoints prune` (local maintenance) joins the remote checkpoints group.
checkpoints_app = checkpoints.app
app.add_typer(checkpoints_app, name="checkpoints", rich_help_panel="Server")
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
    grpc_port: Annotated[
        int | None, typer.Option(help="Port of the gRPC server (default: config).")
    ] = None,
) -> None:
    """Run Omium: upgrade the database, then serve the REST API (health at /health), the gRPC
    API and a worker, in one process."""
    import uvicorn

    from omium.api.app import create_app
    from omium.bootstrap import build_runtime
    from omium.engine import build_engine
    from omium.rpc.server import BackgroundGrpc, GrpcServer, build_services
    from omium.services.auth import AuthKit

    settings = _settings()
    _setup_logging(settings)
    runtime = build_runtime(settings)
    engine = build_engine(settings, runtime.db)
    worker = engine.worker()
    worker_thread = threading.Thread(
        target=lambda: asyncio.run(worker.run()), name="omium-worker", daemon=True
    )
    worker_thread.start()
    bind_host = host or settings.api_host
    bind_port = settings.api_port if port is None else port
    kit = AuthKit(runtime.db, settings)
    kit.start()
    services = build_services(runtime.db, kit.authenticator, engine)
    rpc = BackgroundGrpc(
        lambda: GrpcServer(
            services, host=bind_host, port=settings.grpc_port if grpc_port is None else grpc_port
        )
    )
    rpc_port = rpc.start()
    err.print(
        f"Omium {__version__} on http://{bind_host}:{bind_port}, gRPC on {bind_host}:{rpc_port} "
        f"(database: {runtime.db.engine.url.render_as_string(hide_password=True)})"
    )
    try:
        uvicorn.run(
            create_app(runtime, engine=engine),
            host=bind_host,
            port=bind_port,
            log_level=settings.log_level.value,
        )
    finally:
        rpc.stop()
        worker.request_stop()
        worker_thread.join(settings.worker_shutdown_grace_seconds + 5)
        engine.close()
        runtime.close()


@app.command("api")
def api_server(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port of the REST API.")] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            help="API processes sharing the port (each one its own Python: use the cores). "
            "They share signing keys through the database; rate limits are shared only "
            "with OMIUM_REDIS_URL (else each process counts its own).",
        ),
    ] = 1,
) -> None:
    """Serve the REST API alone (workers run elsewhere: `omium worker`)."""
    import uvicorn

    from omium.api.app import create_app
    from omium.bootstrap import build_runtime
    from omium.services.auth import AuthKit

    settings = _settings()
    _setup_logging(settings)
    runtime = build_runtime(settings)
    bind_host = host or settings.api_host
    bind_port = settings.api_port if port is None else port
    err.print(
        f"Omium {__version__} REST API on http://{bind_host}:{bind_port}"
        + (f" ({workers} processes)" if workers > 1 else "")
    )
    if workers > 1:
        # Migrated, with its first signing key and server secret, before the processes
        # start: they would otherwise race to create them.
        AuthKit(runtime.db, settings).start()
        runtime.close()
        uvicorn.run(
            "omium.api.app:create_app_from_environment",
            factory=True,
            workers=workers,
            host=bind_host,
            port=bind_port,
            log_level=settings.log_level.value,
        )
        return
    try:
        uvicorn.run(
            create_app(runtime), host=bind_host, port=bind_port, log_level=settings.log_level.value
        )
    finally:
        runtime.close()


@app.command("grpc")
def grpc_server(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port of the gRPC server.")] = None,
) -> None:
    """Serve the gRPC API alone (LLD §3 services, health, reflection) until SIGTERM/SIGINT."""
    from omium.bootstrap import build_runtime
    from omium.engine import build_engine
    from omium.rpc.server import GrpcServer, build_services, serve_forever
    from omium.services.auth import AuthKit

    settings = _settings()
    _setup_logging(settings)
    runtime = build_runtime(settings)
    engine = build_engine(settings, runtime.db)
    kit = AuthKit(runtime.db, settings)
    kit.start()
    services = build_services(runtime.db, kit.authenticator, engine)
    bind_host = host or settings.api_host
    bind_port = settings.grpc_port if port is None else port
    err.print(f"Omium {__version__} gRPC on {bind_host}:{bind_port}")
    try:
        asyncio.run(serve_forever(lambda: GrpcServer(services, host=bind_host, port=bind_port)))
    finally:
        engine.close()
        runtime.close()


@app.command()
def worker(
    concurrency: Annotated[
        int | None, typer.Option(help="Executions run at the same time (default: config).")
    ] = None,
    worker_id: Annotated[str | None, typer.Option(help="Name of this worker in leases.")] = None,
) -> None:
    """Run a worker: claim pending executions and run them until SIGTERM/SIGINT."""
    from omium.bootstrap import build_runtime
    from omium.engine import build_engine

    settings = _settings()
    _setup_logging(settings)
    runtime = build_runtime(settings)
    engine = build_engine(settings, runtime.db)
    overrides: dict[str, object] = {}
    if concurrency is not None:
        overrides["concurrency"] = concurrency
    if worker_id is not None:
        overrides["worker_id"] = worker_id
    the_worker = engine.worker(**overrides)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, the_worker.request_stop)
        await the_worker.run()

    err.print(f"Omium worker {the_worker.worker_id} (concurrency {the_worker.concurrency})")
    try:
        asyncio.run(main())
    finally:
        engine.close()
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


@checkpoints_app.command("prune")
def checkpoints_prune(
    tenant: Annotated[
        str | None, typer.Option(help="Only this tenant (its id or slug); default: all.")
    ] = None,
    no_orphans: Annotated[
        bool, typer.Option("--no-orphans", help="Skip the blob-store scan for orphan objects.")
    ] = False,
    grace_minutes: Annotated[
        int, typer.Option(min=0, help="Never collect parts or objects younger than this.")
    ] = 60,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Delete expired checkpoints, then the parts and blobs nothing references any more."""
    import json
    from datetime import timedelta

    from omium.bootstrap import build_runtime
    from omium.services.checkpoint_sweep import CheckpointSweeper
    from omium.store.blobs import open_blob_store

    settings = _settings()
    _setup_logging(settings)
    runtime = build_runtime(settings)
    blobs = open_blob_store(settings)
    try:
        tenant_id = _resolve_tenant(runtime.db, tenant) if tenant else None
        sweeper = CheckpointSweeper(runtime.db, blobs, grace=timedelta(minutes=grace_minutes))
        report = sweeper.run(tenant_id=tenant_id, orphans=not no_orphans)
    finally:
        blobs.close()
        runtime.close()
    if as_json:
        typer.echo(json.dumps(report.to_dict(), sort_keys=True))
        return
    for field, value in report.to_dict().items():
        typer.echo(f"{field.replace('_', ' ')}: {value}")


def _resolve_tenant(db: Database, tenant: str) -> uuid.UUID:
    from sqlalchemy import or_, select

    from omium.store.models import Tenant

    try:
        as_id: uuid.UUID | None = uuid.UUID(tenant)
    except ValueError:
        as_id = None
    with db.session(read_only=True) as session:
        condition = (
            Tenant.slug == tenant
            if as_id is None
            else or_(Tenant.id == as_id, Tenant.slug == tenant)
        )
        found = session.scalar(select(Tenant.id).where(condition))
    if found is None:
        err.print(f"[red]error:[/red] no tenant with id or slug {tenant!r}")
        raise typer.Exit(2)
    return found


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
