"""template-gen new-service: scaffold a service (files, registry entries) that validates and synthesizes."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from template_gen.console import Console
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.scaffold import Plan, ScaffoldResult, new_service


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "new-service",
        parents=parents,
        description="Scaffold a service: services/<name>/service.yaml, its registry entries and, for a Lambda "
        "service, its function and test. The result validates and synthesizes as written.",
        epilog="examples:\n  template-gen new-service pricing --kind ecs --port 8080\n"
        "  template-gen new-service catalog --kind lambda --path /catalog --env dev",
    )
    p.add_argument("name", metavar="NAME", help="service name: lowercase letters, digits and hyphens")
    p.add_argument("--kind", required=True, choices=("ecs", "lambda"), help="a container service or a Lambda")
    p.add_argument("--path", metavar="/PATH", help="API base path (default: /NAME)")
    p.add_argument("--port", type=int, metavar="N", help="container port (ecs; default 8080)")
    p.add_argument(
        "--env", action="append", metavar="ENV", help="environment to enable it in (repeatable; default: all)"
    )
    p.set_defaults(run=run)


def do_new_service(
    project_dir: Path,
    name: str,
    kind: str,
    path: str | None = None,
    port: int | None = None,
    environments: Sequence[str] | None = None,
) -> ScaffoldResult:
    return new_service(project_dir, name, kind, path, port, environments)


def run(args: argparse.Namespace, console: Console) -> int:
    result = do_new_service(args.project_dir, args.name, args.kind, args.path, args.port, args.env)
    plan = result.plan
    for rel in result.written:
        console.print(f"wrote {rel}")
    if result.registry_environments:
        console.print(f"updated {REGISTRY_FILE} (enabled in {', '.join(result.registry_environments)})")
    listed = [env for env in plan.environments if env not in result.registry_environments]
    if listed:
        console.print(f"{REGISTRY_FILE} already enabled it in {', '.join(listed)}")
    details = f"kind {plan.kind}, base path {plan.base_path}, auth {plan.auth}"
    if plan.kind == "ecs":
        details += f", port {plan.port}, ALB priority {plan.priority}"
    console.print(f"{plan.name}: {details}")
    for note in result.notes:
        console.note(note)
    if result.synthesized:
        console.success(f"validate and synth pass for {', '.join(result.synthesized)}")
    first = plan.environments[0]
    console.print("next steps:")
    for step in next_steps(plan, first):
        console.print(f"  {step}")
    return 0


def next_steps(plan: Plan, env: str) -> list[str]:
    deploy = f"template-gen synth --env {env} && sam build --config-env {env} && sam deploy --config-env {env}"
    if plan.kind == "ecs":
        return [
            f"1. fill in {plan.service_file} (description, owner, sizing, health check)",
            f"2. {deploy}",
            f"3. template-gen publish {plan.name} --env {env} --tag 0.1.0",
            f"4. {deploy}",
        ]
    return [
        f"1. fill in {plan.service_file} and write the routes in {plan.code_dir}/app.py",
        f"2. pytest {plan.test_file}",
        f"3. {deploy}",
    ]
