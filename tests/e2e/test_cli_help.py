"""Every command answers --help with its description (a newcomer's first look)."""

from __future__ import annotations

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from omium.cli.main import app


def _paths(group: TyperGroup, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        path = (*prefix, name)
        found.append(path)
        if isinstance(command, TyperGroup):
            found.extend(_paths(command, path))
    return found


ROOT = typer.main.get_command(app)
assert isinstance(ROOT, TyperGroup)
COMMANDS = _paths(ROOT)


def test_the_documented_commands_exist() -> None:
    expected = (
        {("executions", c) for c in ("list", "show", "pause", "resume", "cancel", "events")}
        | {("checkpoints", c) for c in ("list", "show", "rollback")}
        | {
            ("failures", "list"),
            ("failures", "recover"),
            ("workflows", "apply"),
            ("workflows", "list"),
            ("workflows", "show"),
            ("workflows", "publish"),
            ("keys", "create"),
            ("keys", "list"),
            ("keys", "revoke"),
            ("analytics",),
            ("login",),
            ("logout",),
        }
    )
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
