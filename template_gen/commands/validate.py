"""template-gen validate: check the registry and print every problem at once."""

from __future__ import annotations

import argparse

from template_gen.console import Console
from template_gen.errors import RegistryError
from template_gen.registry import samconfig_rules, versions
from template_gen.registry.validate import load_registry
from template_gen.samconfig import SAMCONFIG


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "validate",
        parents=parents,
        description="Check the whole registry (every service, every environment) and report every problem at "
        "once, each with its file and field path.",
        epilog="examples:\n  template-gen validate\n  template-gen validate --env dev --env prod",
    )
    p.add_argument("--env", action="append", metavar="ENV", help="environment to check (repeatable; default: all)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, console: Console) -> int:
    valid = load_registry(args.project_dir, args.env)
    old_format = versions.warning(valid.registry.version)
    if old_format:
        console.warning(old_format)
    sam_problems = samconfig_rules.check(args.project_dir, list(valid.registry.environments), args.env)
    if sam_problems:
        raise RegistryError(sam_problems)
    for name, env in valid.environments.items():
        kinds = [s.model.kind for s in env.services]
        counts = ", ".join(f"{kinds.count(k)} {k}" for k in ("ecs", "worker", "lambda") if k != "worker" or k in kinds)
        console.print(f"{name}: {len(kinds)} services enabled ({counts}), network mode {env.model.network.mode}")
    if sam_problems is None:
        console.note(f"no {SAMCONFIG}: the SAM CLI's sections per environment were not checked")
    console.success("registry is valid")
    return 0
