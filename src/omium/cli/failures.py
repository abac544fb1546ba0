"""``omium failures``: list failures and trigger recovery on a server."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from omium.cli._output import JsonOpt, out, print_json, table, when
from omium.cli._remote import ServerOpt, client
from omium.types import RecoveryActionType

app = typer.Typer(help="List failures and recover from them.", no_args_is_help=True)


@app.command("list")
def list_(
    execution: Annotated[
        str | None, typer.Option("--execution", "-e", help="Only this execution.")
    ] = None,
    severity: Annotated[str | None, typer.Option(help="low, medium, high or critical.")] = None,
    status: Annotated[str | None, typer.Option(help="Recovery status (pending, ...).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Page size.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many.")] = 0,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List failures, newest first."""
    with client(server) as c:
        page = c.list_failures(
            execution_id=execution, severity=severity, status=status, limit=limit, offset=offset
        )
    if json_:
        print_json(page)
        return
    table(
        ["id", "execution", "type", "severity", "message", "suggested fix", "status", "detected"],
        (
            (
                f.id,
                f.execution_id,
                f.failure_type,
                f.severity,
                f.error_message,
                f.suggested_fix,
                f.recovery_status,
                when(f.detected_at),
            )
            for f in page.failures
        ),
    )
    out.print(f"[dim]{len(page.failures)} of {page.pagination.total}[/dim]")


def _config(values: list[str]) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {item!r}", param_hint="--set")
        try:
            config[key] = json.loads(raw)
        except ValueError:
            config[key] = raw
    return config


@app.command()
def recover(
    failure_id: Annotated[str, typer.Argument(help="The failure's id.")],
    action: Annotated[
        RecoveryActionType, typer.Option(help="What to do.")
    ] = RecoveryActionType.RETRY,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="action_config entry key=value (JSON values allowed), e.g. "
            "new_prompt='Generate offer terms. APR must be 2.5%-8.5%'.",
        ),
    ] = None,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Trigger a recovery action on a failure (retry, rollback, prompt_edit, ...)."""
    with client(server) as c:
        result = c.recover_failure(failure_id, action, _config(set_ or []))
    if json_:
        print_json(result)
        return
    ra = result.recovery_action
    out.print(f"recovery action {ra.id}: {ra.action_type} {ra.status}")
    if result.message:
        out.print(f"[dim]{result.message}[/dim]")
