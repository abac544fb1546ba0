"""The live view of a local run: a timeline of events above a progress bar.

It consumes engine events (anything with ``event_type``, ``payload`` and ``created_at``) as
they are committed, from any thread, and renders them with rich. It imports nothing of the
engine, so it can also render events read back from the database or an SSE stream.
"""

from __future__ import annotations

import threading
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from omium.cli._output import duration


class EventLike(Protocol):
    @property
    def event_type(self) -> str: ...
    @property
    def payload(self) -> dict[str, Any]: ...
    @property
    def created_at(self) -> datetime: ...


def describe(event_type: str, p: dict[str, Any]) -> tuple[str, str] | None:
    """(marker, text) of one event for a timeline, or None for events not worth a line."""
    step = f"step {p.get('step')} {p.get('agent', '')}".rstrip()
    if event_type == "execution_queued":
        version = p.get("workflow_version")
        return "·", "queued" + (f" (workflow version {version})" if version else "")
    if event_type == "execution_started":
        return "·", "started"
    if event_type == "step_started":
        attempt = int(p.get("attempt") or 1)
        return "[cyan]▶[/cyan]", f"{step}" + (f" [dim](attempt {attempt})[/dim]")
    if event_type == "checkpoint_created":
        return "[blue]◆[/blue]", (
            f"checkpoint [bold]{p.get('checkpoint_name')}[/bold] "
            f"[dim]#{p.get('checkpoint_index')}[/dim]"
        )
    if event_type == "step_completed":
        return "[green]✓[/green]", f"{step} done in {duration(p.get('duration_ms'))}"
    if event_type == "failure_detected":
        text = (
            f"[red]{p.get('failure_type')}[/red] ({p.get('severity')}) in {step}: "
            f"{p.get('message')}"
        )
        if p.get("suggested_fix"):
            text += f"\n      [yellow]suggested fix:[/yellow] {p['suggested_fix']}"
        return "[red]✗[/red]", text
    if event_type == "rollback":
        return "[magenta]↩[/magenta]", (
            f"rollback to [bold]{p.get('to_checkpoint')}[/bold] "
            f"[dim]({p.get('trigger_type', 'policy')})[/dim]"
        )
    if event_type == "recovery_action":
        extra = ""
        if p.get("next_attempt"):
            extra = f", attempt {p['next_attempt']}"
        if p.get("delay_s"):
            extra += f" after {float(p['delay_s']):.2f} s"
        if p.get("status") == "pending":
            extra += ", waiting for a person (omium failures recover)"
        return "[yellow]⟳[/yellow]", f"recovery: [bold]{p.get('action_type')}[/bold]{extra}"
    if event_type == "execution_rolled_back":
        return "[magenta]↩[/magenta]", f"rolled back to {p.get('checkpoint_name')}"
    if event_type == "execution_paused":
        return "[magenta]‖[/magenta]", f"paused ({p.get('reason', 'requested')})"
    if event_type == "execution_resumed":
        return "[cyan]▶[/cyan]", "resumed" + (
            f" from {p['checkpoint']}" if p.get("checkpoint") else ""
        )
    if event_type == "execution_completed":
        return "[green]●[/green]", (f"[green]completed[/green] in {duration(p.get('duration_ms'))}")
    if event_type == "execution_failed":
        return "[red]●[/red]", f"[red]failed[/red]: {p.get('error')}"
    if event_type == "execution_cancelled":
        return "[dim]●[/dim]", "cancelled"
    return None


class RunView:
    """Prints each event as a timeline line and keeps a progress bar of the steps below."""

    def __init__(self, console: Console, total_steps: int, *, title: str) -> None:
        self.console = console
        self._start: datetime | None = None
        self._done: set[int] = set()
        self._lock = threading.Lock()
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self._task = self._progress.add_task(title, total=total_steps)

    def __enter__(self) -> RunView:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def on_event(self, event: EventLike) -> None:
        with self._lock:
            if self._start is None:
                self._start = event.created_at
            p = event.payload
            if event.event_type == "step_completed" and isinstance(p.get("step"), int):
                self._done.add(p["step"])
            elif event.event_type == "rollback":
                # steps after the restored checkpoint run again
                self._done = {s for s in self._done if s < int(p.get("step") or 10**9)}
            if event.event_type == "step_started":
                self._progress.update(
                    self._task, description=f"step {p.get('step')} {p.get('agent', '')}"
                )
            self._progress.update(self._task, completed=len(self._done))
            line = describe(event.event_type, p)
            if line is not None:
                offset = (event.created_at - self._start).total_seconds()
                self._progress.console.print(f"[dim]{offset:7.3f}s[/dim]  {line[0]} {line[1]}")
