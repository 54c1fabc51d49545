"""template-gen schema: write JSON Schemas for registry.yaml and service.yaml."""

from __future__ import annotations

import argparse
from pathlib import Path

from template_gen.console import Console, shown_path
from template_gen.registry import schema


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "schema",
        parents=parents,
        description="Write the JSON Schemas of registry.yaml and service.yaml, so that editors complete and "
        "check the registry files.",
        epilog="example:\n  template-gen schema",
    )
    p.add_argument("--out", type=Path, metavar="DIR", help=f"folder to write to (default: {schema.SCHEMA_DIR})")
    p.set_defaults(run=run)


def do_schema(project_dir: Path, out: Path | None = None) -> list[Path]:
    return schema.write_schemas(out or project_dir / schema.SCHEMA_DIR)


def run(args: argparse.Namespace, console: Console) -> int:
    for path in do_schema(args.project_dir, args.out):
        console.print(f"wrote {shown_path(path, args.project_dir)}")
    return 0
