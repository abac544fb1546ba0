"""How commands print: rich for people, JSON (``--json``) for scripts."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

# Piped into a file or grep, a table is not cut at 80 columns (a terminal sets its own width).
_PIPE_WIDTH = None if sys.stdout.isatty() else 200
out = Console(highlight=False, width=_PIPE_WIDTH)
err = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 200)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of text.")]

STATUS_STYLE = {
    "pending": "yellow",
    "running": "cyan",
    "paused": "magenta",
    "completed": "green",
    "failed": "red",
    "rolled_back": "magenta",
    "cancelled": "dim",
    "published": "green",
    "draft": "yellow",
    "archived": "dim",
}


def to_jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def print_json(value: Any) -> None:
    """One JSON document on stdout, nothing else (so ``| jq`` always works)."""
    typer.echo(json.dumps(to_jsonable(value), indent=2, default=str))


def status_text(status: Any) -> str:
    value = str(getattr(status, "value", status))
    style = STATUS_STYLE.get(value, "")
    return f"[{style}]{value}[/{style}]" if style else value


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def size(n: int | None) -> str:
    if n is None:
        return "-"
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def table(columns: Sequence[str], rows: Iterable[Sequence[Any]], title: str | None = None) -> None:
    t = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        # ids are what people copy into the next command: never cut them
        t.add_column(column, no_wrap=column == "id", min_width=36 if column == "id" else None)
    for row in rows:
        t.add_row(*(str(c) if c is not None else "-" for c in row))
    out.print(t)


def fields(pairs: Sequence[tuple[str, Any]]) -> None:
    width = max(len(k) for k, _ in pairs)
    for key, value in pairs:
        out.print(f"[bold]{key.ljust(width)}[/bold]  {value if value is not None else '-'}")
