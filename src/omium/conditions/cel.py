"""CEL pre/postconditions, evaluated in the CEL sandbox (never Python's eval).

Backed by ``common-expression-language`` (Rust cel-interpreter bindings). Programs are compiled
once and cached. A failing condition reports the expression and the values of every path it
names, as the state held them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cel

from omium.errors import ErrorCode, ValidationError

_PATH = re.compile(r"(?<![\w.\"'])([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\b(?![\s.]*\()")
_KEYWORDS = frozenset({"true", "false", "null", "in", "has", "size", "type", "int", "double"})


@dataclass(frozen=True)
class ConditionFailure:
    """One condition that did not hold: the expression, the values it saw, and why."""

    expression: str
    values: dict[str, Any] = field(default_factory=dict)
    #: "false" (evaluated to false), "error" (could not evaluate: missing key, wrong type)
    outcome: str = "false"
    error: str | None = None

    def describe(self) -> str:
        seen = ", ".join(f"{k} = {_short(v)}" for k, v in self.values.items()) or "no values"
        if self.outcome == "error":
            return f"`{self.expression}` could not be evaluated ({self.error}); saw {seen}"
        return f"`{self.expression}` is false; saw {seen}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


@lru_cache(maxsize=4096)
def compile_condition(expression: str) -> Any:
    """The compiled program of ``expression``; ValidationError when it is not valid CEL."""
    try:
        return cel.compile(expression)
    except ValueError as exc:
        raise ValidationError(
            f"invalid CEL condition `{expression}`: {str(exc).splitlines()[0]}",
            code=ErrorCode.INVALID_FIELD_FORMAT,
            details={"problem": "condition_syntax", "expression": expression},
        ) from None


def referenced_paths(expression: str) -> list[str]:
    """The dotted paths an expression reads (``offer.apr``), in order, without duplicates."""
    stripped = re.sub(r"\"(?:\\.|[^\"])*\"|'(?:\\.|[^'])*'", "", expression)
    out: list[str] = []
    for m in _PATH.finditer(stripped):
        path = m.group(1)
        if path.split(".")[0] in _KEYWORDS or path in out:
            continue
        out.append(path)
    return out


_MISSING = object()


def resolve(state: dict[str, Any], path: str) -> Any:
    cur: Any = state
    for part in path.split("."):
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            return _MISSING
    return cur


def _values(expression: str, state: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for p in referenced_paths(expression):
        v = resolve(state, p)
        values[p] = "<missing>" if v is _MISSING else v
    return values


def evaluate(expression: str, state: dict[str, Any]) -> ConditionFailure | None:
    """None when ``expression`` holds on ``state``, else what failed."""
    program = compile_condition(expression)
    try:
        result = program.execute(state)
    except Exception as exc:  # the CEL runtime raises KeyError/RuntimeError/TypeError
        return ConditionFailure(
            expression, _values(expression, state), "error", f"{type(exc).__name__}: {exc}"
        )
    if result is True:
        return None
    return ConditionFailure(expression, _values(expression, state), "false")


def evaluate_all(expressions: list[str], state: dict[str, Any]) -> ConditionFailure | None:
    """The first failing condition of ``expressions``, or None when all hold."""
    for expression in expressions:
        failure = evaluate(expression, state)
        if failure is not None:
            return failure
    return None


_CONTENT_OPS = re.compile(r"<=|>=|<|>|\bmatches\b|\bcontains\b|\bstartsWith\b|\bendsWith\b|\bin\b")
_NULL_CHECK = re.compile(r"(!=|==)\s*null|null\s*(!=|==)")
_EQ = re.compile(r"==|!=")


def is_structural(expression: str) -> bool:
    """Whether a condition checks structure (presence, null, type, size) rather than content.

    A failing structural postcondition is a ``validation_error``; a failing content one
    (a range, a pattern, an equality with a value) is a ``hallucination``.
    """
    body = re.sub(r"\"(?:\\.|[^\"])*\"|'(?:\\.|[^'])*'", "''", expression)
    body = re.sub(r"\bhas\([^)]*\)", "", body)
    body = re.sub(r"\btype\([^)]*\)\s*(==|!=)\s*\w+", "", body)
    body = re.sub(r"\bsize\([^)]*\)\s*(>|>=|==|!=|<|<=)\s*\d+", "", body)
    body = _NULL_CHECK.sub("", body)
    return not (_CONTENT_OPS.search(body) or _EQ.search(body))
