"""The agent allow-list: registration, modules from config, entry points."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from omium.agents import agent, load_agent_modules, lookup
from omium.errors import ConfigurationError


def test_decorator_registers_sync_and_async() -> None:
    @agent("reg_sync")
    def s(ctx: object) -> dict[str, int]:
        return {}

    @agent
    async def reg_async(ctx: object) -> dict[str, int]:
        return {}

    assert lookup("reg_sync") is not None and not lookup("reg_sync").is_async  # type: ignore[union-attr]
    assert lookup("reg_async") is not None and lookup("reg_async").is_async  # type: ignore[union-attr]
    assert lookup("os.system") is None


def test_modules_and_entry_points_are_the_allow_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_agents.py").write_text(
        "import omium\n@omium.agent('from_module')\ndef f(ctx):\n    return {}\n"
    )
    (tmp_path / "ep_agents.py").write_text("def g(ctx):\n    return {'ep': True}\n")
    dist = tmp_path / "ep_agents-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-agents\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[omium.agents]\nfrom_entry_point = ep_agents:g\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert lookup("from_module") is None
    load_agent_modules(["my_agents"])
    assert lookup("from_module") is not None
    assert lookup("from_entry_point") is not None
    with pytest.raises(ConfigurationError):
        load_agent_modules(["no_such_module_here"])
    sys.modules.pop("my_agents", None)
    sys.modules.pop("ep_agents", None)
