"""template-gen validate: check the registry and print every problem at once."""

from __future__ import annotations

import argparse

from template_gen.console import Console
from template_gen.pipeline import load_registry


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("validate", parents=parents, help="check the registry and report every problem at once")
    p.add_argument("--env", action="append", metavar="ENV", help="environment to check (repeatable; default: all)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    valid = load_registry(args.project_dir, args.env)
    for name, env in valid.environments.items():
        kinds = [s.model.kind for s in env.services]
        counts = ", ".join(f"{kinds.count(k)} {k}" for k in ("ecs", "worker", "lambda") if k != "worker" or k in kinds)
        console.print(f"{name}: {len(kinds)} services enabled ({counts}), network mode {env.model.network.mode}")
    console.success("registry is valid")
    return 0
