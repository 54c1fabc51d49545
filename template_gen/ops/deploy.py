"""`template-gen deploy`: synth, `sam build`, `sam package`, a change set with nested stacks (read as
`review` reads it), the stateful-resource guard, confirmation, execution under the stack policies with
every nested stack's events streamed, and on failure the root cause.

    0  deployed, or nothing to deploy      3  not confirmed: the change set was deleted
    1  bad input, or AWS said no before anything changed
    2  internal error                      4  refused: it would replace or delete data (--allow-data-loss)
    5  the deployment failed: the stacks rolled back
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from template_gen import pipeline
from template_gen.errors import AwsError, RegistryError, TemplateGenError, UsageError
from template_gen.guard import Verdict, assess
from template_gen.guard import apply as guard_apply
from template_gen.ops.events import Event, EventLog, RootCause, root_cause
from template_gen.registry import samconfig_rules
from template_gen.review import aws, changeset, removed_stacks
from template_gen.review.changeset import Polling
from template_gen.review.model import ChangeReport
from template_gen.samconfig import SAMCONFIG

EXIT_DECLINED, EXIT_FAILED = 3, 5
Outcome = Literal["deployed", "no changes", "declined", "refused"]
SamRunner = Callable[[list[str], Path], None]
_DONE = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE")


class DeployFailed(TemplateGenError):
    """The execution failed and CloudFormation rolled back (exit 5)."""

    def __init__(self, message: str, cause: RootCause):
        super().__init__(message)
        self.cause = cause


@dataclass(frozen=True)
class DeployResult:
    target: aws.Target
    change_set_name: str
    report: ChangeReport
    outcome: Outcome
    stack_status: str | None = None
    events: tuple[Event, ...] = ()
    verdict: Verdict = field(default_factory=Verdict)


@dataclass(frozen=True)
class Hooks:
    """What the caller sees and decides; tests pass their own."""

    say: Callable[[str], None] = lambda _line: None  # progress lines
    # the change set and the guard's verdict, before confirming
    show: Callable[[ChangeReport, Verdict], None] = lambda _report, _verdict: None
    confirm: Callable[[ChangeReport], bool] = lambda _report: False
    on_event: Callable[[Event], None] = lambda _event: None  # each stack event while executing


def run_sam(command: list[str], project_dir: Path) -> None:
    """Run the SAM CLI with its output on stderr (stdout keeps the report)."""
    sam = shutil.which(command[0])
    if sam is None:
        raise UsageError("the SAM CLI (`sam`) is not on PATH; deploy runs `sam build` and `sam package`: install it")
    done = subprocess.run(
        [sam, *command[1:]], cwd=project_dir, stdout=sys.stderr, stdin=subprocess.DEVNULL, check=False
    )
    if done.returncode != 0:
        raise TemplateGenError(f"`{shlex.join(command)}` failed (exit {done.returncode}); its output is above")


def change_set_name(env_name: str) -> str:
    return f"template-gen-deploy-{env_name}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


def build_command(project_dir: Path, env_name: str) -> list[str]:
    return ["sam", "build", "--config-file", str(project_dir / SAMCONFIG), "--config-env", env_name]


def do_deploy(
    project_dir: Path,
    env_name: str,
    hooks: Hooks,
    image_tags: Mapping[str, str] | None = None,
    client_factory: aws.ClientFactory | None = None,
    polling: Polling | None = None,
    sam: SamRunner = run_sam,
    allow: Sequence[str] = (),
) -> DeployResult:
    """`allow`: logical IDs of stateful resources the user accepts to lose (--allow-data-loss)."""
    polling = polling or Polling()
    say = hooks.say
    valid = pipeline.load_registry(project_dir, [env_name])
    problems = samconfig_rules.check(project_dir, list(valid.registry.environments), [env_name])
    if problems is None:
        raise UsageError(
            f"no {SAMCONFIG}: deploy builds and packages with `sam --config-env {env_name}`, which reads it"
        )
    if problems:
        raise RegistryError(problems)
    target = aws.target(project_dir, env_name, valid)
    factory = client_factory or aws.client_factory(target.profile)
    aws.check_account(factory("sts", target.region), target)

    synth = pipeline.synthesize(project_dir, env_name, image_tags=image_tags, valid=valid).write()
    say(f"synthesized {len(synth.stacks)} templates into build/{env_name}/")
    for warning in synth.warnings:
        say(f"warning: {warning}")
    say(f"building: sam build --config-env {env_name}")
    sam(build_command(project_dir, env_name), project_dir)
    with tempfile.TemporaryDirectory(prefix="template-gen-deploy-") as tmp:
        output = Path(tmp) / "packaged.yaml"
        say(f"packaging: sam package --config-env {env_name}")
        sam(aws.package_command(project_dir, env_name, output), project_dir)
        body = aws.packaged_template(output)

    cfn = factory("cloudformation", target.region)
    name = change_set_name(env_name)
    existed = changeset.stack_status(cfn, target.stack_name)
    type_ = changeset.change_set_type(target.stack_name, existed, say)
    change_set_id, stack_id = changeset.create(cfn, target, body, name, type_)
    heading = f"{env_name}: change set {name} ({type_}) for stack {target.stack_name} in {target.region}"

    def discard() -> None:
        changeset.delete(cfn, change_set_id)
        if existed is None:
            changeset.delete_placeholder(cfn, stack_id)

    try:
        created = changeset.wait_created(cfn, change_set_id, name, say, polling)
        failed = created["Status"] == "FAILED"
        stacks = () if failed else tuple(removed_stacks.expand(cfn, changeset.read_changes(cfn, change_set_id), say))
    except BaseException:
        _quietly(discard, say)
        raise
    report = ChangeReport(stacks, heading)
    if created["Status"] == "FAILED":
        discard()
        if changeset.is_no_changes(created):
            return DeployResult(target, name, report, "no changes")
        raise AwsError(f"change set {name} failed: {changeset.failure_reason(cfn, created)}")
    verdict = assess(stacks, allow)
    hooks.show(report, verdict)
    if verdict.blocked:
        discard()
        return DeployResult(target, name, report, "refused", verdict=verdict)
    if not hooks.confirm(report):
        discard()
        return DeployResult(target, name, report, "declined", verdict=verdict)
    # ExecuteChangeSet takes no StackPolicyDuringUpdateBody: the guard sets this update's override on each
    # stack it updates, and the standing policy on every stack afterwards, whatever happened.
    updated = guard_apply.updated_stacks(stacks, stack_id, root_exists=type_ == "UPDATE")
    status, events = guard_apply.run_protected(
        cfn,
        stack_id,
        updated,
        verdict,
        lambda: execute(cfn, change_set_id, stack_id, target.stack_name, hooks, polling),
        say,
    )
    return DeployResult(target, name, report, "deployed", status, tuple(events), verdict)


def _quietly(action: Callable[[], None], say: Callable[[str], None]) -> None:
    try:
        action()
    except AwsError as exc:
        say(f"could not clean up: {exc}")


def execute(
    cfn: Any, change_set_id: str, stack_id: str, stack_name: str, hooks: Hooks, polling: Polling
) -> tuple[str, list[Event]]:
    """Execute, streaming the events of every stack until the root settles; DeployFailed with the root
    cause when it does not end complete."""
    log = EventLog(cfn, stack_id, stack_name)
    log.baseline()
    try:
        cfn.execute_change_set(ChangeSetName=change_set_id)
    except (BotoCoreError, ClientError) as exc:
        raise AwsError(f"could not execute change set {change_set_id}: {exc}") from exc
    stack: dict[str, Any] = {}
    for attempt in range(polling.max_polls):
        if attempt:
            polling.sleep(polling.delay)
        try:
            stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
        except (BotoCoreError, ClientError) as exc:
            raise AwsError(f"could not read stack {stack_name}: {exc}") from exc
        for event in log.poll():
            hooks.on_event(event)
        if not str(stack["StackStatus"]).endswith("_IN_PROGRESS"):
            break
    else:
        raise AwsError(
            f"stack {stack_name} is still {stack.get('StackStatus')} after {polling.max_polls} checks; "
            f"it goes on in CloudFormation (template-gen status --env ENV shows it)"
        )
    status = str(stack["StackStatus"])
    if status in _DONE:
        return status, log.events
    cause = root_cause(log.events)
    reason = stack.get("StackStatusReason") or "no reason given"
    detail = "".join(f"\n    {line}" for line in cause.lines())
    raise DeployFailed(f"stack {stack_name} ended {status}: {reason}{detail}", cause)
