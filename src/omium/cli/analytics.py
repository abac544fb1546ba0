"""``omium analytics``: execution counts, success rate, duration, cost, failure breakdown."""

from __future__ import annotations

from typing import Annotated

import typer

from omium.cli._output import JsonOpt, duration, fields, print_json, table
from omium.cli._remote import ServerOpt, client


def analytics(
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD.")] = None,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Show execution analytics: totals, success rate, cost, per day and per failure type."""
    with client(server) as c:
        a = c.execution_analytics(start_date=start, end_date=end, group_by="day")
    if json_:
        print_json(a)
        return
    fields(
        [
            ("executions", a.total_executions),
            ("successful", a.successful),
            ("failed", a.failed),
            ("success rate", f"{a.success_rate:.1%}"),
            ("avg duration", duration(a.avg_duration_ms)),
            ("total cost", f"${a.total_cost_usd:.2f}"),
        ]
    )
    if a.by_day:
        table(
            ["date", "total", "successful", "failed", "success rate"],
            ((d.date, d.total, d.successful, d.failed, f"{d.success_rate:.1%}") for d in a.by_day),
            title="By day",
        )
    if a.failure_breakdown:
        table(
            ["failure type", "count"],
            sorted(a.failure_breakdown.items(), key=lambda kv: -kv[1]),
            title="Failures",
        )
