"""Execution analytics (LLD §2.5): totals, success rate, duration, cost, by day, failures."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from omium.errors import ErrorCode, ValidationError
from omium.schemas.resources import DayBucket, ExecutionAnalytics
from omium.services.context import RequestContext
from omium.services.metrics_cache import MetricsCache
from omium.store.db import Database
from omium.store.models import Execution, ExecutionMetrics, Failure
from omium.store.uow import UnitOfWork

MAX_DAYS = 366


def _as_date(value: Any) -> date:
    # func.date() is a DATE on PostgreSQL and a 'YYYY-MM-DD' string on SQLite.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _rate(ok: int, total: int) -> float:
    return round(ok / total, 3) if total else 0.0


def execution_analytics(
    db: Database,
    ctx: RequestContext,
    start: date | None,
    end: date | None,
    cache: MetricsCache | None = None,
) -> ExecutionAnalytics:
    """Executions created from ``start`` to ``end`` (inclusive, UTC days; default: 30 days).

    Today alone is served from ``cache`` (``metrics:today:{tenant_id}``) when there is one.
    """
    today = datetime.now(UTC).date()
    if cache is None or start != today or end != today:
        return _compute(db, ctx, start, end)
    cached, gen = cache.lookup(ctx.tenant_id, today)
    if cached is not None:
        return cached
    fresh = _compute(db, ctx, today, today)
    cache.store(ctx.tenant_id, fresh, gen)
    return fresh


def _compute(
    db: Database, ctx: RequestContext, start: date | None, end: date | None
) -> ExecutionAnalytics:
    end = end or datetime.now(UTC).date()
    start = start or end - timedelta(days=29)
    if start > end:
        raise ValidationError(
            "start_date is after end_date",
            code=ErrorCode.INVALID_FIELD_FORMAT,
            details={"field": "query.start_date"},
        )
    if (end - start).days >= MAX_DAYS:
        raise ValidationError(
            f"At most {MAX_DAYS} days per query",
            code=ErrorCode.INVALID_FIELD_FORMAT,
            details={"field": "query.end_date"},
        )
    since = datetime.combine(start, time.min, UTC)
    until = datetime.combine(end + timedelta(days=1), time.min, UTC)
    tenant = ctx.tenant_id
    in_range = (
        Execution.tenant_id == tenant,
        Execution.created_at >= since,
        Execution.created_at < until,
    )
    day = func.date(Execution.created_at)
    with UnitOfWork(db, read_only=True) as uow:
        s = uow.session
        rows = s.execute(
            select(day, Execution.status, func.count())
            .where(*in_range)
            .group_by(day, Execution.status)
        ).all()
        avg_duration = s.scalar(
            select(func.avg(Execution.duration_ms)).where(
                *in_range, Execution.duration_ms.is_not(None)
            )
        )
        cost = s.scalar(
            select(func.coalesce(func.sum(ExecutionMetrics.total_cost_usd), 0))
            .join(Execution, Execution.id == ExecutionMetrics.execution_id)
            .where(*in_range)
        )
        breakdown = s.execute(
            select(Failure.failure_type, func.count())
            .join(Execution, Execution.id == Failure.execution_id)
            .where(
                Execution.tenant_id == tenant,
                Failure.detected_at >= since,
                Failure.detected_at < until,
            )
            .group_by(Failure.failure_type)
        ).all()
    per_day: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for raw_day, status, count in rows:
        per_day[_as_date(raw_day)][str(status)] += int(count)
    buckets = []
    for d in sorted(per_day):
        counts = per_day[d]
        total = sum(counts.values())
        ok = counts.get("completed", 0)
        buckets.append(
            DayBucket(
                date=d,
                total=total,
                successful=ok,
                failed=counts.get("failed", 0),
                success_rate=_rate(ok, total),
            )
        )
    total = sum(b.total for b in buckets)
    ok = sum(b.successful for b in buckets)
    return ExecutionAnalytics(
        start_date=start,
        end_date=end,
        total_executions=total,
        successful=ok,
        failed=sum(b.failed for b in buckets),
        success_rate=_rate(ok, total),
        avg_duration_ms=float(avg_duration) if avg_duration is not None else None,
        total_cost_usd=float(Decimal(str(cost or 0))),
        by_day=buckets,
        failure_breakdown={str(t): int(c) for t, c in sorted(breakdown)},
    )
