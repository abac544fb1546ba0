"""``omium workflows``: upload workflow files and manage their versions on a server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from omium.cli._output import JsonOpt, fields, out, print_json, status_text, table, when
from omium.cli._remote import ServerOpt, client
from omium.client import Client
from omium.domain.workflow import inline_config_files
from omium.errors import ValidationError
from omium.schemas.workflows import Workflow

app = typer.Typer(help="Upload workflow files and manage their versions.", no_args_is_help=True)

IdArg = Annotated[str, typer.Argument(help="The workflow's id.")]


def read_workflow_file(path: Path) -> tuple[str | None, str | None, dict[str, Any]]:
    """(name, description, definition) of a workflow file (YAML or JSON)."""
    try:
        text = path.read_text(encoding="utf-8")
        raw = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, yaml.YAMLError) as exc:
        raise typer.BadParameter(f"{path} is not valid YAML/JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise typer.BadParameter(f"{path} does not hold a mapping")
    definition = raw.get("definition", raw)
    if not isinstance(definition, dict):
        raise typer.BadParameter(f"{path}: 'definition' is not a mapping")
    try:
        definition = inline_config_files(definition, path.parent)
    except ValidationError as exc:
        raise typer.BadParameter(f"{path}: {exc.message}") from None
    name = raw.get("name") if "definition" in raw else None
    description = raw.get("description") if "definition" in raw else None
    return (
        str(name) if name else None,
        str(description) if description else None,
        definition,
    )


def _all_workflows(c: Client) -> list[Workflow]:
    found: list[Workflow] = []
    while True:
        page = c.list_workflows(limit=200, offset=len(found))
        found.extend(page.workflows)
        if not page.workflows or len(found) >= page.pagination.total:
            return found


def _print(w: Workflow, json_: bool) -> None:
    if json_:
        print_json(w)
        return
    out.print(f"workflow {w.id} '{w.name}' version {w.version}: {status_text(w.status)}")


@app.command()
def apply(
    file: Annotated[Path, typer.Argument(help="A workflow file (.yaml, .yml or .json).")],
    name: Annotated[str | None, typer.Option(help="Name (default: the file's name).")] = None,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """Create the workflow (published, version 1), or publish a new version of the workflow
    of the same name (running executions keep the version they started with)."""
    file_name, description, definition = read_workflow_file(file)
    wf_name = name or file_name or file.stem
    with client(server) as c:
        existing = [w for w in _all_workflows(c) if w.name == wf_name]
        if existing:
            workflow = c.publish_version(existing[0].id, definition)
        else:
            workflow = c.create_workflow(wf_name, definition, description=description)
    _print(workflow, json_)


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="draft, published or archived.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Page size.")] = 20,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many.")] = 0,
    server: ServerOpt = None,
    json_: JsonOpt = False,
) -> None:
    """List workflows."""
    with client(server) as c:
        page = c.list_workflows(status=status, limit=limit, offset=offset)
    if json_:
        print_json(page)
        return
    table(
        ["id", "name", "version", "status", "published"],
        (
            (w.id, w.name, w.version, status_text(w.status), when(w.published_at))
            for w in page.workflows
        ),
    )


@app.command()
def show(workflow_id: IdArg, server: ServerOpt = None, json_: JsonOpt = False) -> None:
    """Show a workflow and its current definition."""
    with client(server) as c:
        w = c.get_workflow(workflow_id)
    if json_:
        print_json(w)
        return
    fields(
        [
            ("workflow", w.id),
            ("name", w.name),
            ("version", w.version),
            ("status", status_text(w.status)),
            ("published", when(w.published_at)),
            ("description", w.description),
        ]
    )
    steps = w.definition.get("flow", [])
    if isinstance(steps, list) and steps:
        table(
            ["step", "agent", "inputs", "outputs", "depends on"],
            (
                (
                    s.get("step"),
                    s.get("agent"),
                    ", ".join(s.get("inputs", [])),
                    ", ".join(s.get("outputs", [])),
                    ", ".join(map(str, s.get("depends_on", []))),
                )
                for s in steps
                if isinstance(s, dict)
            ),
            title="Flow",
        )


@app.command()
def publish(workflow_id: IdArg, server: ServerOpt = None, json_: JsonOpt = False) -> None:
    """Publish a workflow again (an archived workflow cannot start executions)."""
    with client(server) as c:
        _print(c.publish_workflow(workflow_id), json_)
