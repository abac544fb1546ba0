"""Execution analytics (LLD §2.5)."""

from __future__ import annotations

from pydantic import Field

from omium.schemas.common import Output


class DayStats(Output):
    date: str
    total: int
    successful: int
    failed: int
    success_rate: float


class ExecutionAnalytics(Output):
    total_executions: int
    successful: int
    failed: int
    success_rate: float
    avg_duration_ms: float | None = None
    total_cost_usd: float = 0.0
    by_day: list[DayStats] = Field(default_factory=list)
    failure_breakdown: dict[str, int] = Field(default_factory=dict)
