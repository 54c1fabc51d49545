"""template-gen review: a CloudFormation change set for the environment's root stack and every nested
stack, printed for review, then deleted, kept (--keep) or executed (--execute)."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from template_gen.console import Console
from template_gen.errors import AwsError, UsageError
from template_gen.guard import Verdict, assess
from template_gen.guard import apply as guard_apply
from template_gen.guard.cli import add_allow_argument, exit_code, show_verdict
from template_gen.registry.validate import load_registry
from template_gen.review import aws, changeset, removed_stacks, render
from template_gen.review.changeset import Polling
from template_gen.review.model import EXIT_CHANGES, ChangeReport

Mode = Literal["delete", "keep", "execute"]
Outcome = Literal["deleted", "kept", "executed", "no changes", "refused"]
_NAME = re.compile(r"^[A-Za-z][-A-Za-z0-9]{0,127}$")


def add_parser(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "review",
        parents=parents,
        description="Create a CloudFormation change set for the environment's root stack with its nested "
        "stacks, print every nested stack's changes, then delete it (default), keep it or execute it. "
        "Needs AWS credentials.",
        epilog="examples:\n  template-gen review --env dev\n  template-gen review --env prod --keep --exit-code",
    )
    p.add_argument("--env", required=True, metavar="ENV", help="environment to review")
    p.add_argument(
        "--template-file",
        type=Path,
        metavar="FILE",
        help="packaged root template (from `sam package`); default: run `sam package --config-env ENV`",
    )
    p.add_argument(
        "--change-set-name", metavar="NAME", help="name of the change set (default: template-gen-ENV-<UTC time>)"
    )
    then = p.add_mutually_exclusive_group()
    then.add_argument("--keep", action="store_true", help="leave the change set for execution (console or CLI)")
    then.add_argument("--execute", action="store_true", help="execute the change set and wait for the stack")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    p.add_argument(
        "--exit-code",
        action="store_true",
        help=f"exit with {EXIT_CHANGES} when the change set has changes, 0 when it has none",
    )
    add_allow_argument(p)
    p.add_argument(
        "--import-existing-resources",
        action="store_true",
        help="adopt resources that already exist under the names the templates give them (a repository kept "
        "when its service left a stack) instead of failing to create them",
    )
    p.set_defaults(run=run)


@dataclass(frozen=True)
class ReviewResult:
    target: aws.Target
    change_set_name: str
    change_set_id: str
    change_set_type: str
    report: ChangeReport
    outcome: Outcome
    stack_status: str | None = None  # after --execute
    verdict: Verdict = field(default_factory=Verdict)


Packager = Callable[[list[str], Path], None]


def do_review(
    project_dir: Path,
    env_name: str,
    template_file: Path | None = None,
    change_set_name: str | None = None,
    mode: Mode = "delete",
    client_factory: aws.ClientFactory | None = None,
    say: changeset.Say = lambda _line: None,
    show: Callable[[ChangeReport, Verdict], None] | None = None,
    polling: Polling | None = None,
    packager: Packager = aws.run_package,
    allow: Sequence[str] = (),
    import_existing: bool = False,
) -> ReviewResult:
    """`say` gets progress lines; `show` gets the report and the data-loss verdict before the change set
    is deleted or executed. A change set the guard refuses is deleted, whatever the mode."""
    polling = polling or Polling()
    name = change_set_name or f"template-gen-{env_name}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
    if not _NAME.match(name):
        raise UsageError(f"--change-set-name {name}: use letters, digits and '-', starting with a letter (at most 128)")
    valid = load_registry(project_dir, [env_name])
    target = aws.target(project_dir, env_name, valid)
    factory = client_factory or aws.client_factory(target.profile)
    aws.check_account(factory("sts", target.region), target)
    body = _template(project_dir, env_name, template_file, say, packager)
    cfn = factory("cloudformation", target.region)
    existed = changeset.stack_status(cfn, target.stack_name)
    type_ = changeset.change_set_type(target.stack_name, existed, say)
    change_set_id, stack_id = changeset.create(cfn, target, body, name, type_, import_existing)
    heading = f"{env_name}: change set {name} ({type_}) for stack {target.stack_name} in {target.region}"
    try:
        created = changeset.wait_created(cfn, change_set_id, name, say, polling)
        failed = created["Status"] == "FAILED"
        stacks = () if failed else tuple(removed_stacks.expand(cfn, changeset.read_changes(cfn, change_set_id), say))
    except BaseException:
        if mode != "keep":  # interrupted or unreadable: do not leave a change set nobody asked to keep
            _discard(cfn, change_set_id, stack_id, existed, say, quiet=True)
        raise
    report = ChangeReport(stacks, heading)
    if failed:
        # A failed change set cannot be executed: delete it whatever the mode, and say why it failed.
        no_changes = changeset.is_no_changes(created)
        reason = "" if no_changes else changeset.failure_reason(cfn, created)
        _discard(cfn, change_set_id, stack_id, existed, say)
        if not no_changes:
            raise AwsError(f"change set {name} failed: {reason}")
        return ReviewResult(target, name, change_set_id, type_, report, "no changes")
    verdict = assess(stacks, allow)
    if show is not None:
        show(report, verdict)
    if verdict.blocked:
        _discard(cfn, change_set_id, stack_id, existed, say)
        return ReviewResult(target, name, change_set_id, type_, report, "refused", verdict=verdict)
    if mode == "execute":
        status = _execute(cfn, change_set_id, stack_id, target, type_, report, verdict, say, polling)
        return ReviewResult(target, name, change_set_id, type_, report, "executed", status, verdict)
    if mode == "keep":
        return ReviewResult(target, name, change_set_id, type_, report, "kept", verdict=verdict)
    _discard(cfn, change_set_id, stack_id, existed, say)
    return ReviewResult(target, name, change_set_id, type_, report, "deleted", verdict=verdict)


def _execute(
    cfn: object,
    change_set_id: str,
    stack_id: str,
    target: aws.Target,
    type_: str,
    report: ChangeReport,
    verdict: Verdict,
    say: changeset.Say,
    polling: Polling,
) -> str:
    """Execute under the stack policies. ExecuteChangeSet takes no StackPolicyDuringUpdateBody, so the
    override for this update is set on each stack before and replaced by the standing policy after."""
    updated = guard_apply.updated_stacks(report.stacks, stack_id, root_exists=type_ == "UPDATE")
    return guard_apply.run_protected(
        cfn,
        stack_id,
        updated,
        verdict,
        lambda: changeset.execute(cfn, change_set_id, stack_id, target.stack_name, say, polling),
        say,
    )


def _template(
    project_dir: Path, env_name: str, template_file: Path | None, say: changeset.Say, packager: Packager
) -> str:
    if template_file is not None:
        return aws.packaged_template(template_file)
    stale = aws.check_built(project_dir, env_name)
    if stale:
        say(f"warning: {stale}")
    with tempfile.TemporaryDirectory(prefix="template-gen-review-") as tmp:
        output = Path(tmp) / "packaged.yaml"
        command = aws.package_command(project_dir, env_name, output)
        say(f"packaging: {shlex.join(command)}")
        packager(command, project_dir)
        return aws.packaged_template(output)


def _discard(
    cfn: object, change_set_id: str, stack_id: str, existed: str | None, say: changeset.Say, quiet: bool = False
) -> None:
    """Delete the change set, and the empty stack a CREATE change set made (only when review made it)."""
    try:
        changeset.delete(cfn, change_set_id)
        if existed is None:
            changeset.delete_placeholder(cfn, stack_id)
    except AwsError as exc:
        if not quiet:
            raise
        say(f"could not clean up: {exc}")


def run(
    args: argparse.Namespace,
    console: Console,
    client_factory: aws.ClientFactory | None = None,
    polling: Polling | None = None,
    packager: Packager = aws.run_package,
) -> int:
    """The CLI calls this with defaults (real AWS clients and sleeps); tests inject the rest."""
    mode: Mode = "keep" if args.keep else "execute" if args.execute else "delete"
    as_text = args.format == "text"

    def say(line: str) -> None:
        print(line, file=console.err)

    def show_report(report: ChangeReport) -> None:
        for line in render.text_lines(report, console):
            console.print(line)

    def show(report: ChangeReport, verdict: Verdict) -> None:
        if as_text:
            show_report(report)
        show_verdict(console, verdict, as_text)

    result = do_review(
        args.project_dir,
        args.env,
        args.template_file,
        args.change_set_name,
        mode,
        client_factory=client_factory,
        say=say,
        show=show,
        polling=polling,
        packager=packager,
        allow=args.allow_data_loss,
        import_existing=args.import_existing_resources,
    )
    if as_text:
        if result.outcome == "no changes":
            show_report(result.report)
        console.print(_closing(result))
    else:
        change_set = {
            "name": result.change_set_name,
            "id": result.change_set_id,
            "type": result.change_set_type,
            "outcome": result.outcome,
            "stack_status": result.stack_status,
        }
        meta = {"environment": args.env, "stack_name": result.target.stack_name, "region": result.target.region}
        document = render.to_json(result.report, **meta, change_set=change_set)
        console.print(json.dumps(document | {"data_loss": result.verdict.to_json()}, indent=2))
    return exit_code(result.verdict, EXIT_CHANGES if args.exit_code and result.report.changed else 0)


def _closing(result: ReviewResult) -> str:
    name, target = result.change_set_name, result.target
    if result.outcome == "no changes":
        return f"stack {target.stack_name} already matches the template; deleted change set {name}"
    if result.outcome == "refused":
        return f"deleted change set {name}: it would lose data (see above); nothing was executed"
    if result.outcome == "executed":
        return f"executed change set {name}: stack {target.stack_name} is {result.stack_status}"
    if result.outcome == "kept":
        return (
            f"kept change set {name}; execute it from the CloudFormation console, or with\n"
            f"    aws cloudformation execute-change-set --change-set-name {result.change_set_id} "
            f"--region {target.region}"
        )
    return f"deleted change set {name} (--keep leaves it for execution, --execute runs it)"
