"""``omium run``: run a workflow file on this machine with a live view."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from omium.cli._live import RunView
from omium.cli._local import (
    ensure_workflow,
    load_agent_files,
    local_env,
    parse_inputs,
    run_until_settled,
    start,
)
from omium.cli._output import JsonOpt, err, out, print_json, status_text
from omium.cli._report import render_timeline, timeline_json
from omium.cli.workflows import read_workflow_file
from omium.config import load_settings
from omium.errors import OmiumError
from omium.services.timeline import execution_timeline

#: exit codes of ``omium run``: 0 completed, 1 failed or cancelled, 2 waiting for a person
EXIT_FAILED = 1
EXIT_WAITING = 2


def quiet_logs() -> None:
    """The live view tells the story; library logs only when something is really wrong."""
    logging.basicConfig(level=logging.ERROR, format="%(levelname)s %(name)s: %(message)s")


def exit_code(status: str) -> int:
    if status == "completed":
        return 0
    if status in ("paused", "rolled_back", "pending", "running"):
        return EXIT_WAITING
    return EXIT_FAILED


def run(
    file: Annotated[Path, typer.Argument(help="The workflow file (.yaml, .yml or .json).")],
    input_: Annotated[
        list[str] | None,
        typer.Option(
            "--input",
            "-i",
            help="An input: key=value (JSON values allowed) or @file.json; repeatable.",
        ),
    ] = None,
    agents: Annotated[
        list[str] | None,
        typer.Option(
            "--agents",
            help="A Python file or module registering the agents; repeatable "
            "(default: agents.py next to the workflow file).",
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Workflow name (default: the file's name).")
    ] = None,
    timeline: Annotated[bool, typer.Option(help="Print the full timeline after the run.")] = False,
    json_: JsonOpt = False,
) -> None:
    """Run a workflow on this machine, showing steps, checkpoints, failures and recovery live.

    Exit code: 0 when the execution completed, 1 when it failed or was cancelled, 2 when it
    waits for a person (paused by a manual_intervention or escalate policy).
    """
    quiet_logs()
    settings = load_settings()
    file_name, description, definition = read_workflow_file(file)
    sibling = file.parent / "agents.py"
    load_agent_files(agents or ([str(sibling)] if sibling.is_file() else []))
    params = parse_inputs(input_ or [])
    wf_name = name or file_name or file.stem
    flow = definition.get("flow")
    total = len(flow) if isinstance(flow, list) else 0
    try:
        with local_env(settings) as env:
            workflow = ensure_workflow(env, wf_name, description, definition)
            execution = start(env, workflow, params)
            if json_:
                final = run_until_settled(env, execution.id, lambda _e: None)
            else:
                out.print(f"[bold]{wf_name}[/bold] v{workflow.version} — execution {execution.id}")
                with RunView(out, total, title=wf_name) as view:
                    final = run_until_settled(env, execution.id, view.on_event)
            tl = execution_timeline(env.runtime.db, env.principal.tenant_id, execution.id)
    except OmiumError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(EXIT_FAILED) from None
    if json_:
        print_json(timeline_json(tl))
    else:
        if timeline:
            render_timeline(out, tl)
        out.print(
            f"execution {final.id}: {status_text(final.status)}"
            + (f" — {final.error}" if final.error else "")
        )
        if final.status.value == "paused":
            out.print(
                "[dim]it waits for a person: omium failures list, then "
                "omium failures recover ID[/dim]"
            )
        out.print(f"[dim]look again: omium executions show {final.id} --local[/dim]")
    raise typer.Exit(exit_code(final.status.value))
