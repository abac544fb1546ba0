"""``omium checkpoints``: list, inspect and roll back to checkpoints on a server."""

from __future__ import annotations

from typing import Annotated

import typer

from omium.cli._output import JsonOpt, fields, out, print_json, size, status_text, table, when
from omium.cli._remote import ServerOpt, client

app = typer.Typer(help="List, inspect and roll back to checkpoints.", no_args_is_help=True)


@app.command("list")
def list_(
    execution: Annotated[str, typer.Option("--execution", "-e", help="The execution's id.")],
    all_: Annotated[
        bool, typer.Option("--all", help="Also the checkpoints a rollback went back past.")
    ] = False,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List an execution's checkpoints in order (superseded ones, with --all, dimmed)."""
    with client(server) as c:
        page = c.list_checkpoints(execution, include_superseded=all_, limit=200)
    checkpoints = page.checkpoints
    if json_:
        print_json(page)
        return
    table(
        ["#", "checkpoint", "size", "checksum", "created", "id"],
        (
            (
                cp.checkpoint_index,
                f"[dim]{cp.checkpoint_name} (superseded)[/dim]"
                if cp.superseded_at
                else cp.checkpoint_name,
                size(cp.state_size_bytes),
                (cp.checksum or "")[:19],
                when(cp.created_at),
                cp.id,
            )
            for cp in checkpoints
        ),
    )


@app.command()
def show(
    checkpoint_id: Annotated[str, typer.Argument(help="The checkpoint's id.")],
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show one checkpoint."""
    with client(server) as c:
        cp = c.get_checkpoint(checkpoint_id)
    if json_:
        print_json(cp)
        return
    fields(
        [
            ("checkpoint", cp.id),
            ("name", cp.checkpoint_name),
            ("execution", cp.execution_id),
            ("index", cp.checkpoint_index),
            ("size", size(cp.state_size_bytes)),
            ("checksum", cp.checksum),
            ("blob", cp.state_blob_uri),
            ("created", when(cp.created_at)),
            ("superseded", when(cp.superseded_at) if cp.superseded_at else "no"),
        ]
    )


@app.command()
def rollback(
    checkpoint_id: Annotated[str, typer.Argument(help="The checkpoint to restore.")],
    reason: Annotated[str | None, typer.Option(help="Why; kept in the rollback record.")] = None,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Roll an execution back to a checkpoint; it stays rolled_back until resumed."""
    with client(server) as c:
        result = c.rollback(checkpoint_id, reason=reason)
    if json_:
        print_json(result)
        return
    e = result.execution
    out.print(
        f"rollback {result.rollback.id}: {result.rollback.status}; execution {e.id} is "
        f"{status_text(e.status)} at {e.current_checkpoint or checkpoint_id}"
    )
    out.print(f"[dim]continue with: omium executions resume {e.id}[/dim]")
