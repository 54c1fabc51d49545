"""template-gen deploy against recorded-style CloudFormation responses (botocore Stubber) and a fake SAM
CLI: the nested change set shown, confirmation, the events of every nested stack streamed while it runs,
the root cause of a failure, the pre-execute checks, and the exit codes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from stub_events import (
    COMPUTE_EVENTS,
    COMPUTE_ID,
    NETWORK_EVENTS,
    NETWORK_ID,
    REPORT,
    ROOT_EVENTS,
    STACK_TYPE,
    event,
)
from stub_responses import FAST, NAME, PACKAGED, ROOT_CS, STACK, STACK_ID, Aws, expect_create, expect_wait, stack
from support import CliResult
from test_guard_review_command import expect_shard_move
from test_review_command import (
    GROUPED_VIEW,
    expect_nested_update,
    expect_override_policies,
    expect_standing_policies,
    expect_update,
)

from template_gen.cli import build_parser
from template_gen.commands import deploy as deploy_command
from template_gen.console import Console
from template_gen.errors import TemplateGenError


class FakeSam:
    """Records the SAM CLI commands; `package` writes the packaged template where it is asked to."""

    def __init__(self, fail: str | None = None) -> None:
        self.commands: list[list[str]] = []
        self.fail = fail

    def __call__(self, command: list[str], project_dir: Path) -> None:
        self.commands.append(command)
        if command[1] == self.fail:
            raise TemplateGenError(f"`sam {command[1]}` failed (exit 1); its output is above")
        if command[1] == "package":
            Path(command[command.index("--output-template-file") + 1]).write_text(PACKAGED)


@pytest.fixture(autouse=True)
def fixed_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("template_gen.ops.deploy.change_set_name", lambda env: NAME)


def deploy(project: Path, aws: Aws, *argv: str, sam: FakeSam | None = None, answer: str | None = None) -> CliResult:
    args = build_parser().parse_args(["deploy", "--env", "dev", *argv])
    args.project_dir = project
    out, err = io.StringIO(), io.StringIO()
    console = Console(out, err)
    asked: list[str] = []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        assert answer is not None, "deploy asked although it should not have"
        return answer

    try:
        code = deploy_command.run(args, console, aws.factory, FAST, sam or FakeSam(), ask)
    except TemplateGenError as exc:
        console.error(str(exc))
        code = 1
    if answer is not None:
        assert asked == ["execute this change set? [y/N] "]
    return CliResult(code, out.getvalue(), err.getvalue())


def expect_execution(aws: Aws, polls: Sequence[tuple[str, Sequence[tuple[str, list[dict[str, Any]]]]]]) -> None:
    """The baseline read of the root's events, the execution, then per poll: the root's status and the
    events of each stack read."""
    old = [event(STACK_ID, -3600, "OldFailure", "AWS::Logs::LogGroup", "CREATE_FAILED", "from an earlier deploy")]
    aws.cfn_stub.add_response("describe_stack_events", {"StackEvents": old}, {"StackName": STACK_ID})
    aws.cfn_stub.add_response("execute_change_set", {}, {"ChangeSetName": ROOT_CS})
    for status, reads in polls:
        reason = "The following resource(s) failed to update: [ComputeStack]." if "ROLLBACK" in status else None
        aws.cfn_stub.add_response("describe_stacks", stack(status, reason), {"StackName": STACK_ID})
        for stack_id, events in reads:
            aws.cfn_stub.add_response(
                "describe_stack_events", {"StackEvents": [*events, *old]}, {"StackName": stack_id}
            )


def test_deploy_builds_shows_the_change_set_executes_and_streams_nested_events(project: Path, aws: Aws) -> None:
    expect_update(aws, ["CREATE_COMPLETE"])
    expect_nested_update(aws)
    first = [
        event(
            COMPUTE_ID.replace("x", "x"), 0, "ComputeStack", STACK_TYPE, "UPDATE_IN_PROGRESS", physical_id=COMPUTE_ID
        ),
    ]
    first = [
        event(STACK_ID, 2, "ComputeStack", STACK_TYPE, "UPDATE_IN_PROGRESS", physical_id=COMPUTE_ID),
        event(STACK_ID, 0, STACK, STACK_TYPE, "UPDATE_IN_PROGRESS", "User Initiated", STACK_ID),
    ]
    compute_first = [
        event(COMPUTE_ID, 9, "QuotingTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup", "UPDATE_IN_PROGRESS"),
        event(COMPUTE_ID, 3, COMPUTE_ID.split("/")[1], STACK_TYPE, "UPDATE_IN_PROGRESS", physical_id=COMPUTE_ID),
    ]
    second = [
        event(STACK_ID, 60, STACK, STACK_TYPE, "UPDATE_COMPLETE", physical_id=STACK_ID),
        event(STACK_ID, 58, "ComputeStack", STACK_TYPE, "UPDATE_COMPLETE", physical_id=COMPUTE_ID),
    ]
    compute_second = [
        event(COMPUTE_ID, 50, "QuotingTargetGroup", "AWS::ElasticLoadBalancingV2::TargetGroup", "UPDATE_COMPLETE"),
    ]
    expect_override_policies(aws)
    expect_execution(
        aws,
        [
            ("UPDATE_IN_PROGRESS", [(STACK_ID, first), (COMPUTE_ID, compute_first)]),
            ("UPDATE_COMPLETE", [(STACK_ID, [*second, *first]), (COMPUTE_ID, [*compute_second, *compute_first])]),
        ],
    )
    expect_standing_policies(aws)
    sam = FakeSam()
    result = deploy(project, aws, sam=sam, answer="y")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        *GROUPED_VIEW,
        "09:41:00  acme-dev  AWS::CloudFormation::Stack  UPDATE_IN_PROGRESS  User Initiated",
        "09:41:02  ComputeStack  AWS::CloudFormation::Stack  UPDATE_IN_PROGRESS",
        "09:41:03  ComputeStack  AWS::CloudFormation::Stack  UPDATE_IN_PROGRESS",
        "09:41:09  ComputeStack/QuotingTargetGroup  AWS::ElasticLoadBalancingV2::TargetGroup  UPDATE_IN_PROGRESS",
        "09:41:50  ComputeStack/QuotingTargetGroup  AWS::ElasticLoadBalancingV2::TargetGroup  UPDATE_COMPLETE",
        "09:41:58  ComputeStack  AWS::CloudFormation::Stack  UPDATE_COMPLETE",
        "09:42:00  acme-dev  AWS::CloudFormation::Stack  UPDATE_COMPLETE",
        "deployed environment dev: stack acme-dev is UPDATE_COMPLETE",
    ]
    assert result.err.splitlines()[0] == "synthesized 6 templates into build/dev/"
    assert [c[:2] for c in sam.commands] == [["sam", "build"], ["sam", "package"]]
    assert sam.commands[0][2:] == ["--config-file", str(project / "samconfig.toml"), "--config-env", "dev"]
    assert (project / "build/dev/template.yaml").is_file()


def test_a_failed_deploy_exits_5_with_the_root_cause_and_what_rolled_back(project: Path, aws: Aws) -> None:
    expect_update(aws, ["CREATE_COMPLETE"])
    expect_nested_update(aws)
    expect_override_policies(aws)
    expect_execution(
        aws,
        [
            (
                "UPDATE_ROLLBACK_COMPLETE",
                [(STACK_ID, ROOT_EVENTS[:-1]), (NETWORK_ID, NETWORK_EVENTS), (COMPUTE_ID, COMPUTE_EVENTS)],
            )
        ],
    )
    expect_standing_policies(aws)  # the override ends even when the update rolls back
    result = deploy(project, aws, "--yes")
    assert result.code == 5
    assert result.err.splitlines()[-4:] == [
        "error: stack acme-dev ended UPDATE_ROLLBACK_COMPLETE: The following resource(s) failed to update: "
        "[ComputeStack].",
        *REPORT,
    ]
    streamed = result.out.splitlines()[len(GROUPED_VIEW) :]
    assert streamed[0] == "09:41:00  acme-dev  AWS::CloudFormation::Stack  UPDATE_IN_PROGRESS  User Initiated"
    assert streamed[4].startswith(
        "09:41:40  ComputeStack/QuotingService  AWS::ECS::Service  CREATE_FAILED  Resource handler returned message"
    )
    assert streamed[6] == (
        "09:41:43  ComputeStack  AWS::CloudFormation::Stack  UPDATE_ROLLBACK_IN_PROGRESS  The following resource(s) "
        "failed to create: [QuotingService]."
    )
    assert len(streamed) == 19  # this operation's events of every stack, oldest first; none from before it


def test_declining_deletes_the_change_set_and_exits_3(project: Path, aws: Aws) -> None:
    expect_update(aws, ["CREATE_COMPLETE"])
    expect_nested_update(aws)
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    result = deploy(project, aws, answer="n")
    assert (result.code, result.out.splitlines()[-1]) == (3, f"not executed; deleted change set {NAME}")


def test_deploy_refuses_a_change_that_would_lose_data_with_exit_4(project: Path, aws: Aws) -> None:
    # GIVEN a change set that moves quoting to a new compute shard and changes the consumers table's key
    expect_update(aws, ["CREATE_COMPLETE"])
    expect_shard_move(aws)
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})  # never executed
    result = deploy(project, aws, "--yes")
    # THEN the guard refuses it before execution, names what is at risk, and nothing is executed
    assert result.code == 4
    assert "refused: QuotingRepository (AWS::ECR::Repository) in ComputeStack" in result.out
    assert result.err.splitlines()[-1] == (
        "error: 3 changes would lose data; to accept the loss, pass --allow-data-loss ConsumersTable "
        "--allow-data-loss QuotingLogGroup --allow-data-loss QuotingRepository"
    )


def test_no_changes_deletes_the_change_set_and_exits_0(project: Path, aws: Aws) -> None:
    reason = "The submitted information didn't contain changes. Submit different information to create a change set."
    expect_update(aws, ["FAILED"], reason)
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    result = deploy(project, aws)
    assert (result.code, result.out) == (0, "stack acme-dev already matches environment dev; nothing to deploy\n")


def test_without_a_terminal_deploy_needs_yes(project: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    args = build_parser().parse_args(["deploy", "--env", "dev"])
    args.project_dir = project
    with pytest.raises(TemplateGenError) as caught:
        deploy_command.run(args, Console(io.StringIO(), io.StringIO()), aws.factory, FAST, FakeSam())
    assert str(caught.value) == (
        "deploy asks before it executes, and there is no terminal to ask on; pass --yes to deploy"
    )


def test_a_failed_build_stops_before_any_change_set(project: Path, aws: Aws) -> None:
    result = deploy(project, aws, "--yes", sam=FakeSam(fail="build"))
    assert (result.code, result.err.splitlines()[-1]) == (1, "error: `sam build` failed (exit 1); its output is above")


def test_an_environment_without_samconfig_sections_is_refused_before_building(project: Path, aws: Aws) -> None:
    config = project / "samconfig.toml"
    config.write_text(config.read_text().replace("[dev.build.parameters]\ntemplate_file", "[dev.build.parameters]\nx"))
    sam = FakeSam()
    result = deploy(project, aws, "--yes", sam=sam)
    assert result.code == 1
    assert result.err.splitlines()[0] == (
        "error: samconfig.toml: dev.build.parameters.template_file: is missing; expected 'build/dev/template.yaml' "
        "(where `template-gen synth --env dev` writes)"
    )
    assert sam.commands == []


def test_declining_a_first_deploy_also_removes_the_empty_stack_the_change_set_made(project: Path, aws: Aws) -> None:
    aws.cfn_stub.add_client_error(
        "describe_stacks", "ValidationError", "Stack with id acme-dev does not exist", 400, {"StackName": STACK}
    )
    expect_create(aws, "CREATE")
    expect_wait(aws, ["CREATE_COMPLETE"])
    expect_nested_update(aws)
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})
    aws.cfn_stub.add_response("delete_stack", {}, {"StackName": STACK_ID})
    result = deploy(project, aws, answer="no")
    assert result.code == 3
    assert "stack acme-dev does not exist yet: the change set creates it" in result.err.splitlines()
