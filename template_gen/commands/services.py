"""template-gen services: list the services enabled in an environment."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from template_gen.console import Console, styled
from template_gen.registry.models import EcsService
from template_gen.registry.validate import load_registry

KIND_STYLE = {
    "ecs": "cyan",
    "worker": "blue",
    "lambda": "magenta",
}  # on a TTY only; open (auth: none) routes show in yellow


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "services",
        parents=parents,
        description="List the services enabled in an environment: kind, API base path, exposure, auth, "
        "ALB paths and listener priority.",
        epilog="examples:\n  template-gen services --env dev\n  template-gen services --env prod --format json",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="environment to list")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")
    p.set_defaults(run=run)


def do_services(project_dir: Path, env_name: str) -> list[dict[str, Any]]:
    valid = load_registry(project_dir, [env_name])
    rows = []
    for entry in valid.environments[env_name].services:
        model = entry.model
        is_ecs = isinstance(model, EcsService)
        rows.append(
            {
                "name": entry.name,
                "kind": model.kind,
                "base_path": model.api.base_path,
                "routes": list(dict.fromkeys(route.path for route in model.api.routes)),
                "exposure": model.api.exposure,
                "auth": model.api.auth,
                "alb_paths": list(entry.alb_patterns()) if is_ecs else [],
                "priority": model.alb.priority if isinstance(model, EcsService) and model.alb else None,
            }
        )
    return rows


def _open(row: dict[str, Any]) -> bool:
    """An open route: on an API with auth none (an internal service with auth none is not on any API)."""
    return bool(row["auth"] == "none" and row["exposure"] != "none")


def run(args: argparse.Namespace, console: Console) -> int:
    rows = do_services(args.project_dir, args.env)
    if args.format == "json":
        console.print(json.dumps(rows, indent=2))
        return 0
    headers = ("NAME", "KIND", "PATHS", "EXPOSURE", "AUTH", "ALB PATHS", "PRIORITY")
    table = [
        (
            styled(r["name"], "bold"), styled(r["kind"], KIND_STYLE[r["kind"]]),
            ", ".join(([r["base_path"]] if r["base_path"] else []) + r["routes"]) or "-",
            r["exposure"], styled(r["auth"], "yellow") if _open(r) else r["auth"],
            ", ".join(r["alb_paths"]) or "-", str(r["priority"]) if r["priority"] is not None else "-",
        )
        for r in rows
    ]  # fmt: skip
    console.table(headers, table)
    return 0
