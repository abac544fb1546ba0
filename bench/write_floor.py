"""The floor of an Omium run: its write set sent with the bare driver, no framework at all.

One 10-step run of the engine is recorded on SQLite (every INSERT and UPDATE it commits,
grouped by transaction, as literal SQL). The floor then replays those writes on a fresh
execution, with fresh ids, in the same transactions:

- SQLite: ``BEGIN IMMEDIATE`` ... ``COMMIT`` on a bare ``sqlite3`` connection, WAL,
  ``synchronous=FULL`` (Omium's own settings).
- PostgreSQL: each transaction's statements server-prepared and pipelined between BEGIN and
  COMMIT (one round trip, no parsing or planning once warm).

The variants with fresh ids are made before the clock starts. No reads, no encoding, no
Python between statements: what the rows an Omium run keeps
(executions, agents, checkpoints, step attempts, outbox events, metrics) cost to commit on
this machine. An engine writing the same records cannot be cheaper than this.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

_ID = re.compile(r"'([0-9a-f]{32})'")
_DASHED = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_BLOB = re.compile(r"X'([0-9A-Fa-f]*)'")
# checkpoints.validation_passed is written by SQLite as 1/0; PostgreSQL wants a boolean.
_VALIDATION = re.compile(r", ([01]), '\{\"step\"")


def _anchors(url: str) -> dict[str, str]:
    """The ids of the rows a bench run needs before it starts: its tenant and workflow."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        tenant, workflow = conn.execute(
            text("SELECT tenant_id, id FROM workflows WHERE name = 'bench'")
        ).one()
    engine.dispose()
    return {"tenant": uuid.UUID(str(tenant)).hex, "workflow": uuid.UUID(str(workflow)).hex}


OmiumRunner = Callable[[str, Path], tuple[Callable[[], None], Callable[[], None]]]


def record(omium_runner: OmiumRunner) -> tuple[list[list[str]], dict[str, str]]:
    """One engine run's committed writes on SQLite (literal SQL, by transaction), and the
    tenant and workflow ids they refer to."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    workdir = Path(tempfile.mkdtemp(prefix="omium-floor-"))
    url = f"sqlite:///{workdir / 'record.db'}"
    seen: list[str] = []
    listening: list[Engine] = []

    def on_connect(dbapi: sqlite3.Connection, _record: Any) -> None:
        dbapi.set_trace_callback(seen.append)

    original = Engine.connect

    def connect(self: Engine, *args: Any, **kwargs: Any) -> Any:
        if self not in listening:
            listening.append(self)
            event.listen(self, "connect", on_connect)
            self.dispose()
        return original(self, *args, **kwargs)

    Engine.connect = connect  # type: ignore[method-assign]
    try:
        run, close = omium_runner(url, workdir / "data")
        run()
        seen.clear()
        run()
        close()
    finally:
        Engine.connect = original  # type: ignore[method-assign]
    transactions: list[list[str]] = []
    current: list[str] | None = None
    for statement in seen:
        head = statement.lstrip().split(None, 1)[0].upper()
        if head == "BEGIN":
            current = []
        elif head == "COMMIT":
            if current:
                transactions.append(current)
            current = None
        elif current is not None and head in ("INSERT", "UPDATE"):
            current.append(" ".join(statement.split()))
    return transactions, _anchors(url)


def floor_runner(
    omium_runner: OmiumRunner, url: str, workdir: Path
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The floor on ``url`` (SQLite or PostgreSQL): Omium's schema, tenant and workflow set
    up by Omium itself, then the recorded writes replayed with the bare driver."""
    transactions, recorded = record(omium_runner)
    _run, close = omium_runner(url, workdir / "floor-data")
    close()
    target = _anchors(url)
    mapping = {recorded[k]: target[k] for k in recorded}
    keep = set(target.values())
    if url.startswith("sqlite"):
        return sqlite_floor(Path(url.removeprefix("sqlite:///")), transactions, keep, mapping)
    return postgres_floor(url, transactions, keep, mapping)


def _created_ids(transactions: list[list[str]]) -> set[str]:
    """Ids of rows the run inserts (the first quoted id of each INSERT)."""
    out: set[str] = set()
    for tx in transactions:
        for s in tx:
            if s.startswith("INSERT"):
                found = _ID.search(s)
                if found:
                    out.add(found.group(1))
    return out


def _dashed(hex32: str) -> str:
    return str(uuid.UUID(hex32))


def fresh(transactions: list[list[str]], keep: set[str], mapping: dict[str, str]) -> list[str]:
    """The transactions with every run-created id replaced by a new one (both spellings),
    and the recorded tenant and workflow by the target's (``mapping``)."""
    renew: dict[str, str] = dict(mapping)
    for tx in transactions:
        for s in tx:
            for old in _ID.findall(s):
                if old not in keep and old not in renew:
                    renew[old] = uuid.uuid4().hex
    dashed = {_dashed(old): _dashed(new) for old, new in renew.items()}

    def swap(s: str) -> str:
        s = _ID.sub(lambda m: f"'{renew.get(m.group(1), m.group(1))}'", s)
        return _DASHED.sub(lambda m: dashed.get(m.group(0), m.group(0)), s)

    return [";\n".join(swap(s) for s in tx) for tx in transactions]


def to_postgres(transactions: list[list[str]]) -> list[list[str]]:
    def convert(s: str) -> str:
        s = _BLOB.sub(lambda m: f"'\\x{m.group(1).lower()}'::bytea", s)
        if s.startswith("INSERT INTO checkpoints "):
            s = _VALIDATION.sub(
                lambda m: f', {"true" if m.group(1) == "1" else "false"}, \'{{"step"', s
            )
        return s

    return [[convert(s) for s in tx] for tx in transactions]


#: Variants prepared ahead (fresh ids), so the timed run does nothing but send them.
AHEAD = 200

_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


class _Ahead:
    """Fresh variants of the recorded transactions, made before they are timed."""

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._ready = [make() for _ in range(AHEAD)]

    def take(self) -> Any:
        return self._ready.pop() if self._ready else self._make()


def parameterized(statement: str) -> tuple[str, list[str]]:
    """A literal statement with its values as placeholders (sent as text of unknown type:
    PostgreSQL infers each one's type from where it stands, as for any bound parameter)."""
    values: list[str] = []

    def slot(value: str) -> str:
        values.append(value)
        return "%s"

    pieces = _QUOTED.split(statement)
    out: list[str] = []
    for i, piece in enumerate(pieces):
        if i % 2:
            out.append(slot(piece.replace("''", "'")))
        else:
            out.append(_NUMBER.sub(lambda m: slot(m.group(0)), piece.replace("%", "%%")))
    return "".join(out), values


def sqlite_floor(
    path: Path, transactions: list[list[str]], keep: set[str], mapping: dict[str, str]
) -> tuple[Callable[[], None], Callable[[], None]]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    ahead = _Ahead(
        lambda: [
            f"BEGIN IMMEDIATE;\n{body};\nCOMMIT;" for body in fresh(transactions, keep, mapping)
        ]
    )

    def run() -> None:
        for script in ahead.take():
            conn.executescript(script)

    return run, conn.close


def postgres_floor(
    url: str, transactions: list[list[str]], keep: set[str], mapping: dict[str, str]
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Each transaction's statements server-prepared and pipelined with BEGIN and COMMIT:
    one round trip, no parsing or planning once warm."""
    import psycopg

    conn = psycopg.connect(url, autocommit=True)
    converted = to_postgres(transactions)

    def variant() -> list[list[tuple[str, list[str]]]]:
        return [
            [parameterized(s) for s in body.split(";\n")]
            for body in fresh(converted, keep, mapping)
        ]

    ahead = _Ahead(variant)

    def run() -> None:
        with conn.cursor() as cur:
            for statements in ahead.take():
                # One pipeline per transaction: its results are waited for before the next
                # begins, as an engine must before it runs the next step.
                with conn.pipeline():
                    cur.execute("BEGIN")
                    for sql, values in statements:
                        cur.execute(sql.encode(), values, prepare=True)
                    cur.execute("COMMIT")

    return run, conn.close
