"""The one place that knows which execution status may follow which (LLD §4.2 statuses).

Every writer (services, the step runner, workers) asks :func:`check_transition` before it
changes ``executions.status``; an illegal move raises a ConflictError with the LLD code.
"""

from __future__ import annotations

from enum import StrEnum

from omium.errors import ConflictError, ErrorCode
from omium.types import ExecutionStatus as S


class Action(StrEnum):
    """What is being asked of an execution; decides the error code of a refusal."""

    CLAIM = "claim"
    PAUSE = "pause"
    RESUME = "resume"
    CANCEL = "cancel"
    ROLLBACK = "rollback"
    COMPLETE = "complete"
    FAIL = "fail"
    RECOVER = "recover"


#: from-status -> the statuses it may move to.
ALLOWED: dict[S, frozenset[S]] = {
    S.PENDING: frozenset({S.RUNNING, S.PAUSED, S.CANCELLED}),
    S.RUNNING: frozenset({S.PAUSED, S.COMPLETED, S.FAILED, S.CANCELLED, S.ROLLED_BACK}),
    S.PAUSED: frozenset({S.RUNNING, S.CANCELLED, S.ROLLED_BACK, S.FAILED}),
    S.ROLLED_BACK: frozenset({S.RUNNING, S.CANCELLED, S.ROLLED_BACK}),
    S.FAILED: frozenset({S.RUNNING, S.ROLLED_BACK}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL: frozenset[S] = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED})

_TARGET: dict[Action, S] = {
    Action.CLAIM: S.RUNNING,
    Action.PAUSE: S.PAUSED,
    Action.RESUME: S.RUNNING,
    Action.CANCEL: S.CANCELLED,
    Action.ROLLBACK: S.ROLLED_BACK,
    Action.COMPLETE: S.COMPLETED,
    Action.FAIL: S.FAILED,
    Action.RECOVER: S.RUNNING,
}


def can_transition(current: S | str, target: S | str) -> bool:
    return S(target) in ALLOWED[S(current)]


def check_transition(current: S | str, action: Action, *, execution_id: object = None) -> S:
    """The status ``action`` leads to from ``current``; ConflictError (409) if not allowed."""
    cur = S(current)
    target = _TARGET[action]
    if target in ALLOWED[cur]:
        return target
    details = {"execution_id": str(execution_id), "status": cur.value, "action": action.value}
    if action in (Action.RESUME, Action.CLAIM, Action.RECOVER) and cur == S.RUNNING:
        raise ConflictError(
            f"Execution '{execution_id}' is already running",
            code=ErrorCode.EXECUTION_ALREADY_RUNNING,
            details=details,
        )
    if action == Action.PAUSE:
        raise ConflictError(
            f"Execution '{execution_id}' cannot be paused: it is {cur.value}",
            code=ErrorCode.EXECUTION_CANNOT_PAUSE,
            details=details,
        )
    if action == Action.ROLLBACK:
        raise ConflictError(
            f"Execution '{execution_id}' cannot be rolled back: it is {cur.value}",
            code=ErrorCode.ROLLBACK_FAILED,
            details=details,
        )
    raise ConflictError(
        f"Execution '{execution_id}' cannot {action.value}: it is {cur.value}",
        code=ErrorCode.RESOURCE_CONFLICT,
        details=details,
    )
