"""template-gen reconcile: report (and with --fix remove) what half-finished consumer admin requests left."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from template_gen import reconcile
from template_gen.console import Console


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "reconcile",
        parents=parents,
        help="run the environment's consumer reconciler: orphan API keys, consumers whose key is gone",
        description="Invoke the deployed consumer reconciler of an environment: it reports API keys without a "
        "consumer and consumers whose key is gone, and with --fix removes what is safe to remove. Needs AWS "
        "credentials and lambda:InvokeFunction.",
        epilog="examples:\n  template-gen reconcile --env prod\n  template-gen reconcile --env prod --fix",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="deployed environment to reconcile")
    p.add_argument("--fix", action="store_true", help="remove what is safe to remove (default: report only)")
    p.set_defaults(run=run)


def do_reconcile(
    project_dir: Path,
    env: str,
    fix: bool = False,
    client_factory: reconcile.LambdaFactory | None = None,
    console: Console | None = None,
) -> tuple[reconcile.Target, dict[str, Any]]:
    console = console or Console()
    target = reconcile.target(project_dir, env)
    client = (client_factory or reconcile.lambda_client)(target.region, target.profile)
    action = "reconciling (fixing)" if fix else "reconciling (report only)"
    with console.progress(f"{action} with {target.function_name} in {target.region}"):
        report = reconcile.invoke(target, client, fix)
    return target, report


def run(args: argparse.Namespace, console: Console) -> int:
    target, report = do_reconcile(args.project_dir, args.env, args.fix, console=console)
    for line in reconcile.render(target, report):
        print(line, file=console.out)
    left = int(report.get("left", 0))
    if left:
        hint = "" if args.fix else "; run again with --fix to remove what is safe to remove"
        console.error(f"{left} finding{'s' if left != 1 else ''} left{hint}")
        return 1
    return 0
