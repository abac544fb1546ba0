"""The after-the-fact view of one execution: steps, checkpoints with sizes, failures with
their suggested fixes, recovery actions, rollbacks and durations."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from omium.cli._output import duration, size, status_text
from omium.services.timeline import Timeline


def _offset(t: datetime | None, start: datetime) -> str:
    if t is None:
        return "-"
    return f"+{(t - start).total_seconds():.3f}s"


def render_timeline(console: Console, tl: Timeline) -> None:
    start = tl.started_at or tl.created_at
    console.print()
    console.rule(f"[bold]Execution {tl.execution_id}[/bold]", align="left")
    console.print(
        f"status {status_text(tl.status)}   duration {duration(tl.duration_ms)}   "
        f"retries {tl.retry_count}   checkpoint {tl.current_checkpoint or '-'}"
    )
    if tl.error:
        console.print(f"[red]error:[/red] {tl.error}")

    steps = Table(
        "agent",
        "status",
        "started",
        "duration",
        "error",
        title="Steps",
        title_justify="left",
        header_style="bold",
    )
    for st in tl.steps:
        steps.add_row(
            st.name,
            status_text(st.status),
            _offset(st.started_at, start),
            duration(st.duration_ms),
            st.error or "",
        )
    console.print(steps)

    cps = Table(
        "#",
        "checkpoint",
        "size",
        "at",
        "checksum",
        title="Checkpoints",
        title_justify="left",
        header_style="bold",
    )
    for cp in tl.checkpoints:
        name = f"[dim]{cp.name} (superseded by the rollback)[/dim]" if cp.superseded else cp.name
        cps.add_row(
            str(cp.index),
            name,
            size(cp.size_bytes),
            _offset(cp.created_at, start),
            cp.checksum[:12],
        )
    console.print(cps)
    total = sum(cp.size_bytes for cp in tl.checkpoints)
    console.print(f"[dim]{len(tl.checkpoints)} checkpoints, {size(total)} of state in all[/dim]")

    for f in tl.failures:
        console.print()
        console.print(
            f"[red bold]Failure[/red bold] {_offset(f.detected_at, start)}  "
            f"[red]{f.failure_type}[/red] ({f.severity}) — {f.message}"
        )
        if f.root_cause:
            console.print(f"  [bold]root cause[/bold]     {f.root_cause}")
        if f.suggested_fix:
            console.print(f"  [bold]suggested fix[/bold]  [yellow]{f.suggested_fix}[/yellow]")
        console.print(f"  [bold]recovery[/bold]       {f.recovery_status or '-'}")
        for a in tl.actions:
            if a.failure_id == f.id:
                if a.success is None:
                    outcome = a.status or "-"
                else:
                    outcome = "[green]succeeded[/green]" if a.success else "[red]failed[/red]"
                shown = ("to_checkpoint", "next_attempt", "delay_s", "new_prompt")
                config = ", ".join(f"{k}={a.config[k]}" for k in shown if k in a.config)
                console.print(
                    f"  [bold]action[/bold]         {_offset(a.triggered_at, start)} "
                    f"[bold]{a.action_type}[/bold] {outcome}"
                    + (f" [dim]({config})[/dim]" if config else "")
                )
    for r in tl.rollbacks:
        console.print(
            f"  [bold]rollback[/bold]       {_offset(r.started_at, start)} to "
            f"[bold]{r.to_checkpoint}[/bold] ({r.trigger_type or '-'}, {r.status or '-'}): "
            f"{r.reason}"
        )
    if tl.result is not None and tl.status == "completed":
        console.print()
        console.print("[bold]Result[/bold]")
        console.print_json(data=tl.result)


def timeline_json(tl: Timeline) -> dict[str, Any]:
    return asdict(tl)
