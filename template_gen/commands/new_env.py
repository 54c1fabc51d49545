"""template-gen new-env: add an environment, copied from another, to the registry and samconfig.toml."""

from __future__ import annotations

import argparse
from pathlib import Path

from template_gen.console import Console
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.samconfig import SAMCONFIG
from template_gen.scaffold.environment import NewEnvironment, new_environment


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "new-env",
        parents=parents,
        help="add an environment copied from another: registry entry (layout kept) and samconfig.toml sections",
        description="Copy an environment's entry in services/registry.yaml under a new name (comments and layout "
        "kept) and its samconfig.toml sections, then validate and synthesize the new environment; nothing is "
        "written if that fails.",
        epilog="example:\n  template-gen new-env staging --from dev",
    )
    p.add_argument("name", metavar="NAME", help="environment name: lowercase letters and digits")
    p.add_argument("--from", dest="source", required=True, metavar="ENV", help="environment to copy, e.g. dev")
    p.set_defaults(run=run)


def do_new_env(project_dir: Path, name: str, source: str) -> NewEnvironment:
    return new_environment(project_dir, name, source)


def run(args: argparse.Namespace, console: Console) -> int:
    result = do_new_env(args.project_dir, args.name, args.source)
    console.print(f"updated {REGISTRY_FILE} (environments.{result.name}, copied from {result.source})")
    if result.samconfig == "kept":
        console.print(f"{SAMCONFIG} already has the sections of {result.name}")
    else:
        how = f"copied from {result.source}" if result.samconfig == "copied" else "the defaults"
        console.print(f"updated {SAMCONFIG} ([{result.name}.*] sections, {how})")
    for note in result.notes:
        console.note(note)
    if result.synthesized:
        console.success(f"validate and synth pass for {result.name}")
    console.print(f"next: review services/registry.yaml, then template-gen deploy --env {result.name}")
    return 0
