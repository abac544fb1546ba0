"""``omium executions``: list, inspect and control executions on a server."""

from __future__ import annotations

from typing import Annotated

import typer

from omium.cli._output import (
    JsonOpt,
    duration,
    err,
    fields,
    out,
    print_json,
    size,
    status_text,
    table,
    when,
)
from omium.cli._remote import ServerOpt, client, handle_errors
from omium.schemas.executions import Execution
from omium.schemas.resources import ExecutionEnvelope

app = typer.Typer(help="List, inspect and control executions.", no_args_is_help=True)

IdArg = Annotated[str, typer.Argument(help="The execution's id.")]
LocalOpt = Annotated[
    bool,
    typer.Option(
        "--local",
        help="Read this machine's data dir (runs of omium run / omium demo) instead of a server.",
    ),
]


def _local_timeline(execution_id: str, json_: bool) -> None:
    import uuid

    from omium.cli._local import local_env
    from omium.cli._report import render_timeline, timeline_json
    from omium.config import load_settings
    from omium.errors import OmiumError
    from omium.services.timeline import execution_timeline

    try:
        ex_id = uuid.UUID(execution_id)
    except ValueError:
        raise typer.BadParameter(f"{execution_id!r} is not an execution id") from None
    try:
        with local_env(load_settings()) as env:
            tl = execution_timeline(env.runtime.db, env.principal.tenant_id, ex_id)
    except OmiumError as exc:
        err.print(f"[red]error:[/red] {exc.message} [dim]({exc.code.value})[/dim]")
        raise typer.Exit(3) from None
    if json_:
        print_json(timeline_json(tl))
    else:
        render_timeline(out, tl)


def _local_list(limit: int, json_: bool) -> None:
    from omium.cli._local import local_env
    from omium.config import load_settings
    from omium.services.timeline import recent_executions

    with local_env(load_settings()) as env:
        rows = recent_executions(env.runtime.db, env.principal.tenant_id, limit=limit)
    if json_:
        print_json(
            [
                {"id": str(i), "status": st, "created_at": c.isoformat(), "duration_ms": d}
                for i, st, c, d in rows
            ]
        )
        return
    table(
        ["id", "status", "created", "duration"],
        ((i, status_text(st), when(c), duration(d)) for i, st, c, d in rows),
    )


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="Only this status (running, ...).")] = None,
    workflow: Annotated[str | None, typer.Option(help="Only this workflow id.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Page size.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many.")] = 0,
    local: LocalOpt = False,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List executions, newest first."""
    if local:
        _local_list(limit, json_)
        return
    with client(server) as c:
        page = c.list_executions(status=status, workflow_id=workflow, limit=limit, offset=offset)
    if json_:
        print_json(page)
        return
    table(
        ["id", "status", "workflow", "started", "checkpoint", "duration"],
        (
            (
                e.id,
                status_text(e.status),
                e.workflow_id,
                when(e.started_at or e.created_at),
                e.current_checkpoint,
                duration(e.duration_ms),
            )
            for e in page.executions
        ),
    )
    p = page.pagination
    out.print(f"[dim]{len(page.executions)} of {p.total} (offset {p.offset})[/dim]")


@app.command()
def show(
    execution_id: IdArg, local: LocalOpt = False, server: ServerOpt = None, json_: JsonOpt = False
) -> None:
    """Show an execution: status, progress, agents, checkpoints and failures."""
    if local:
        _local_timeline(execution_id, json_)
        return
    with client(server) as c:
        execution = c.get_execution(execution_id)
        checkpoints = c.list_checkpoints(execution_id, include_superseded=True).checkpoints
        failures = c.list_failures(execution_id=execution_id, limit=100).failures
    if json_:
        print_json({"execution": execution, "checkpoints": checkpoints, "failures": failures})
        return
    progress = execution.progress
    fields(
        [
            ("execution", execution.id),
            ("workflow", execution.workflow_id),
            ("status", status_text(execution.status)),
            ("started", when(execution.started_at)),
            ("completed", when(execution.completed_at)),
            (
                "progress",
                f"step {progress.current_step}/{progress.total_steps} ({progress.percentage:.0f}%)"
                if progress
                else None,
            ),
            ("checkpoint", execution.current_checkpoint),
            ("error", execution.error),
        ]
    )
    if execution.agents:
        table(
            ["agent", "status", "duration", "error"],
            (
                (a.name, status_text(a.status), duration(a.duration_ms), a.error)
                for a in execution.agents
            ),
            title="Agents",
        )
    if checkpoints:
        table(
            ["#", "checkpoint", "size", "created", "id"],
            (
                (
                    cp.checkpoint_index,
                    f"[dim]{cp.checkpoint_name} (superseded)[/dim]"
                    if cp.superseded_at
                    else cp.checkpoint_name,
                    size(cp.state_size_bytes),
                    when(cp.created_at),
                    cp.id,
                )
                for cp in checkpoints
            ),
            title="Checkpoints",
        )
    if failures:
        table(
            ["type", "severity", "message", "suggested fix", "recovery"],
            (
                (f.failure_type, f.severity, f.error_message, f.suggested_fix, f.recovery_status)
                for f in failures
            ),
            title="Failures",
        )
    if execution.result is not None and execution.status.value == "completed":
        out.print("[bold]result[/bold]")
        out.print_json(data=execution.result)


def _report(response: ExecutionEnvelope, json_: bool) -> None:
    if json_:
        print_json(response)
        return
    e: Execution = response.execution
    out.print(f"execution {e.id}: {status_text(e.status)}")
    if response.message:
        out.print(f"[dim]{response.message}[/dim]")


@app.command()
def pause(execution_id: IdArg, server: ServerOpt = None, json_: JsonOpt = False) -> None:
    """Pause an execution at its next step boundary."""
    with client(server) as c:
        _report(c.pause_execution(execution_id), json_)


@app.command()
def resume(
    execution_id: IdArg,
    from_checkpoint: Annotated[
        str | None, typer.Option("--from", help="Resume from this checkpoint name.")
    ] = None,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Resume a paused or rolled-back execution (optionally from a named checkpoint)."""
    with client(server) as c:
        _report(c.resume_execution(execution_id, checkpoint_name=from_checkpoint), json_)


@app.command()
def cancel(
    execution_id: IdArg,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Cancel an execution (a running agent is interrupted)."""
    with client(server) as c:
        _report(c.cancel_execution(execution_id), json_)


@app.command()
def events(
    execution_id: IdArg,
    last_event_id: Annotated[
        str | None, typer.Option("--after", help="Resume after this event id.")
    ] = None,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Follow an execution's events live until it ends (Ctrl-C to stop watching).

    With --json, one JSON object per line (event_type, id, data).
    """
    import json

    with client(server) as c, handle_errors():
        try:
            for event in c.iter_events(execution_id, last_event_id=last_event_id):
                if json_:
                    typer.echo(
                        json.dumps(
                            {"id": event.id, "event_type": event.event_type, "data": event.data},
                            default=str,
                        )
                    )
                else:
                    summary = ", ".join(
                        f"{k}={v}" for k, v in event.data.items() if k not in ("execution_id",)
                    )
                    out.print(f"[bold]{event.event_type}[/bold] {summary}")
        except KeyboardInterrupt:
            err.print("[dim]stopped watching[/dim]")
