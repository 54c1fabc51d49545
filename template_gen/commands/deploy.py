"""template-gen deploy: synth, sam build, a nested change set printed for review, confirm, execute with
every nested stack's events streamed, and the root cause when it fails."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from template_gen.commands.synth import parse_image_tags
from template_gen.console import Console
from template_gen.errors import UsageError
from template_gen.guard import Verdict
from template_gen.guard.cli import add_allow_argument, exit_code, show_verdict
from template_gen.ops.deploy import EXIT_DECLINED, EXIT_FAILED, DeployFailed, Hooks, SamRunner, do_deploy, run_sam
from template_gen.ops.events import Event
from template_gen.review import aws, render
from template_gen.review.changeset import Polling
from template_gen.review.model import ChangeReport


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "deploy",
        parents=parents,
        help="synth, sam build, review the change set, confirm and execute it (needs AWS)",
        description="Synthesize the environment, run `sam build` and `sam package`, create a change set with "
        "nested stacks and print it as review does, refuse it if it would lose data, ask, then execute it under "
        "stack policies, streaming every nested stack's events; on failure, name the root cause.",
        epilog="examples:\n  template-gen deploy --env dev\n"
        "  template-gen deploy --env prod --yes --image-tag quoting=1.4.2",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="environment to deploy")
    p.add_argument("--yes", action="store_true", help="execute without asking (CI)")
    p.add_argument(
        "--image-tag", action="append", default=[], metavar="SERVICE=TAG", help="image tag to deploy (repeatable)"
    )
    add_allow_argument(p)
    p.set_defaults(run=run)


def run(
    args: argparse.Namespace,
    console: Console,
    client_factory: aws.ClientFactory | None = None,
    polling: Polling | None = None,
    sam: SamRunner = run_sam,
    ask: Callable[[str], str] | None = None,
) -> int:
    """The CLI calls this with defaults (real AWS clients, sleeps, the SAM CLI, the terminal)."""
    image_tags = parse_image_tags(args.image_tag)
    if not args.yes and ask is None and not sys.stdin.isatty():
        raise UsageError("deploy asks before it executes, and there is no terminal to ask on; pass --yes to deploy")
    prompt = ask or input

    def say(line: str) -> None:
        print(line, file=console.err)

    def show(report: ChangeReport, verdict: Verdict) -> None:
        for line in render.text_lines(report, console):
            console.print(line)
        show_verdict(console, verdict, as_text=True)

    def confirm(report: ChangeReport) -> bool:
        if args.yes:
            return True
        answer = prompt("execute this change set? [y/N] ")
        return answer.strip().lower() in ("y", "yes")

    def on_event(event: Event) -> None:
        style = "red" if event.failed else "green" if event.status.endswith("_COMPLETE") else ""
        console.print(console.style(event.line(), style) if style else event.line())

    hooks = Hooks(say=say, show=show, confirm=confirm, on_event=on_event)
    try:
        result = do_deploy(
            args.project_dir, args.env, hooks, image_tags, client_factory, polling, sam, args.allow_data_loss
        )
    except DeployFailed as exc:
        console.error(str(exc))
        return EXIT_FAILED
    stack = result.target.stack_name
    if result.outcome == "no changes":
        console.success(f"stack {stack} already matches environment {args.env}; nothing to deploy")
    elif result.outcome == "refused":
        return exit_code(result.verdict, 0)
    elif result.outcome == "declined":
        console.print(f"not executed; deleted change set {result.change_set_name}")
        return EXIT_DECLINED
    else:
        console.success(f"deployed environment {args.env}: stack {stack} is {result.stack_status}")
    return 0
