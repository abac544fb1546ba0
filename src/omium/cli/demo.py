"""``omium demo``: the customer-onboarding workflow with a declared fault, end to end.

No services, no API keys: the embedded default (SQLite + blob folder under the data dir).
The offer agent's config declares an injected fault (an APR of 0% on its first attempt); the
postcondition catches it as a hallucination, the rollback policy restores the last good
checkpoint and runs the step again, and the run completes. Then the timeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from omium.cli._live import RunView
from omium.cli._local import (
    ensure_workflow,
    load_agent_files,
    local_env,
    parse_inputs,
    run_until_settled,
    start,
)
from omium.cli._output import JsonOpt, err, out, print_json, status_text
from omium.cli._report import render_timeline, timeline_json
from omium.cli.run import exit_code, quiet_logs
from omium.cli.workflows import read_workflow_file
from omium.config import load_settings
from omium.errors import OmiumError
from omium.services.timeline import execution_timeline


def example_dir() -> Path:
    """``examples/onboarding``: in the installed package (wheel) or the source checkout."""
    here = Path(__file__).resolve()
    for candidate in (
        here.parent.parent / "_examples" / "onboarding",  # wheel: force-included
        here.parents[3] / "examples" / "onboarding",  # source checkout / editable install
    ):
        if (candidate / "workflow.yaml").is_file():
            return candidate
    raise typer.BadParameter("the onboarding example is not installed with this copy of Omium")


INTRO = (
    "[bold]Customer onboarding[/bold]: KYC agent → credit-scoring agent → offer agent.\n"
    "The offer agent's config declares an [bold]injected fault[/bold]: on its first attempt "
    "it answers with an APR of 0%.\n"
    "Its postcondition [cyan]offer.apr >= 0.025 && offer.apr <= 0.085[/cyan] should catch "
    "that as a hallucination, and its recovery policy should roll back to the last good "
    "checkpoint and run the step again."
)


def demo(
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where to keep the demo's records (default: OMIUM_DATA_DIR, else .omium)."
        ),
    ] = None,
    json_: JsonOpt = False,
) -> None:
    """Run the onboarding demo: a hallucination caught, rolled back and recovered, then the
    timeline. No services or API keys needed."""
    quiet_logs()
    settings = load_settings(data_dir=data_dir) if data_dir else load_settings()
    example = example_dir()
    name, description, definition = read_workflow_file(example / "workflow.yaml")
    load_agent_files([str(example / "agents.py")])
    params = parse_inputs([f"@{example / 'input.json'}"])
    try:
        with local_env(settings) as env:
            workflow = ensure_workflow(env, name or "Customer Onboarding", description, definition)
            execution = start(env, workflow, params)
            if json_:
                final = run_until_settled(env, execution.id, lambda _e: None)
            else:
                out.print(Panel(INTRO, title="omium demo", title_align="left", expand=False))
                out.print(f"[dim]files: {example}   records: {settings.data_dir.resolve()}[/dim]")
                out.print(f"execution [bold]{execution.id}[/bold]")
                with RunView(out, len(definition["flow"]), title="onboarding") as view:
                    final = run_until_settled(env, execution.id, view.on_event)
            tl = execution_timeline(env.runtime.db, env.principal.tenant_id, execution.id)
    except OmiumError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from None
    if json_:
        print_json(timeline_json(tl))
        raise typer.Exit(exit_code(final.status.value))
    render_timeline(out, tl)
    out.print()
    out.print(f"execution {final.id}: {status_text(final.status)}")
    out.print(
        Panel(
            "[bold]Look at it again[/bold]\n"
            f"  omium executions show {final.id} --local\n"
            "  omium executions list --local\n"
            "[bold]Over the API[/bold]\n"
            f"  omium server        # then http://127.0.0.1:{settings.api_port}/docs\n"
            "[bold]Make it yours[/bold]\n"
            f"  cp -r {example} my-workflow && omium run my-workflow/workflow.yaml "
            "--input @my-workflow/input.json\n"
            "  (delete the offer agent's `faults:` block for a clean run; "
            "docs/fault-injection.md)",
            expand=False,
        )
    )
    raise typer.Exit(exit_code(final.status.value))
