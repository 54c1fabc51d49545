"""template-gen migrate: rewrite an older registry in the current format, keeping the files' layout."""

from __future__ import annotations

import argparse
from pathlib import Path

from template_gen.console import Console
from template_gen.registry.migrate import Migration, migrate


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "migrate",
        parents=parents,
        help="upgrade services/ to the current registry format (edits in place, comments and layout kept)",
        description="Rewrite services/registry.yaml (and the service files) from their format version to the current "
        "one, step by step, keeping comments and layout; all files or none are changed.",
        epilog="example:\n  template-gen migrate",
    )
    p.set_defaults(run=run)


def do_migrate(project_dir: Path) -> Migration:
    return migrate(project_dir)


def run(args: argparse.Namespace, console: Console) -> int:
    result = do_migrate(args.project_dir)
    if not result.changed:
        console.success(f"the registry is already in format version {result.to_version}; nothing to do")
        return 0
    for rel in result.changed:
        console.print(f"updated {rel}")
    console.success(f"migrated the registry from format version {result.from_version} to {result.to_version}")
    console.print("next: review the changes (git diff), then template-gen synth --env ENV")
    return 0
