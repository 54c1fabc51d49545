"""template-gen status: the deployed environment's stack, services, rollouts, targets, images and Lambda errors."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from template_gen.console import Cell, Console, Styled, styled, table_lines
from template_gen.ops import resources
from template_gen.ops.status import Clock, EcsStatus, LambdaStatus, Status, do_status
from template_gen.review import aws


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "status",
        parents=parents,
        help="how a deployed environment is doing: stack, tasks, rollouts, target health, images, Lambda errors",
        description="Read the deployed environment: stack status, ECS running/desired/pending counts, the last "
        "deployment and its rollout state, target health with reasons, the image each service runs, and "
        "recent Lambda errors. Needs AWS credentials.",
        epilog="examples:\n  template-gen status --env dev\n  template-gen status --env prod quoting --format json",
    )
    p.add_argument("service", nargs="?", metavar="SERVICE", help="only this service (default: all of them)")
    p.add_argument("--env", required=True, metavar="ENV", help="deployed environment to read")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    console: Console,
    client_factory: aws.ClientFactory | None = None,
    now: Clock = lambda: datetime.now(UTC),
) -> int:
    env = resources.environment(args.project_dir, args.env)
    status = do_status(env, args.service, client_factory, now)
    if args.format == "json":
        console.print(json.dumps(status.to_json(), indent=2, default=str))
        return 0
    for line in text_lines(status, console):
        console.print(line)
    return 0


def _stack_style(status: str) -> str:
    if status.endswith("_IN_PROGRESS"):
        return "yellow"
    return "green" if status.endswith("_COMPLETE") and "ROLLBACK" not in status else "red"


def text_lines(status: Status, console: Console) -> list[str]:
    lines = [
        f"{status.environment}: stack {status.stack_name} in {status.region} is "
        + console.style(status.stack_status, _stack_style(status.stack_status))
        + (f" ({status.stack_reason})" if status.stack_reason else "")
        + (f", last changed {status.updated}" if status.updated else "")
    ]
    ecs = [s for s in status.services if isinstance(s, EcsStatus)]
    if ecs:
        rows: list[list[Cell]] = []
        for s in ecs:
            if s.running is None:
                rows.append([s.name, "-", "-", "-", styled("not deployed", "red"), "-", "-"])
                continue
            rollout = s.rollout or "-"
            rows.append(
                [
                    s.name,
                    str(s.running),
                    str(s.desired),
                    str(s.pending),
                    styled(rollout, "green" if rollout == "COMPLETED" else "red" if rollout == "FAILED" else "yellow"),
                    s.image_tag or "-",
                    _targets(s),
                ]
            )
        lines.append("")
        lines += _table(console, ("SERVICE", "RUNNING", "DESIRED", "PENDING", "ROLLOUT", "IMAGE", "TARGETS"), rows)
    lambdas = [s for s in status.services if isinstance(s, LambdaStatus)] + status.functions
    if lambdas:
        lines.append("")
        lines += _table(
            console,
            ("FUNCTION", "KIND", f"ERRORS ({status.window_minutes} MIN)", "INVOCATIONS"),
            [
                [fn.function, fn.kind, styled(str(fn.errors), "red" if fn.errors else "green"), str(fn.invocations)]
                for fn in lambdas
            ],
        )
    details = []
    for s in ecs:
        if s.rollout and s.rollout != "COMPLETED" and s.rollout_reason:
            details.append(f"  {s.name}: rollout {s.rollout}: {s.rollout_reason}")
        for t in s.unhealthy:
            where = f"{t.id}:{t.port}" if t.port else t.id
            why = f"{t.reason}: {t.description}" if t.description else t.reason
            details.append(f"  {s.name}: target {where} is {t.state}" + (f" ({why})" if why else ""))
    failing = [fn for fn in lambdas if fn.errors]
    if details or failing:
        lines += ["", "attention:", *details]
        lines += [
            f"  {fn.name}: {fn.errors} errors in {fn.invocations} invocations "
            f"(template-gen logs --env {status.environment} {fn.name} --filter ERROR)"
            for fn in failing
        ]
    return lines


def _targets(s: EcsStatus) -> Cell:
    if s.targets is None:
        return "-"
    if not s.targets:
        return styled("none registered", "yellow")
    text = ", ".join(f"{count} {state}" for state, count in s.targets.items())
    return styled(text, "green" if set(s.targets) == {"healthy"} else "yellow")


def _table(console: Console, headers: tuple[str, ...], rows: list[list[Cell]]) -> list[str]:
    def cell(value: Cell, text: str) -> str:
        return console.style(text, *value.styles) if isinstance(value, Styled) and value.styles else text

    return [line.rstrip() for line in table_lines(headers, rows, lambda h: console.style(h, "bold"), None, cell)]
