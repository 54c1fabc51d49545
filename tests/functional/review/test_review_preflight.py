"""What review checks before it creates a change set: the account, the stack's state, the template,
and `sam package` when no packaged template is given."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import pytest
from stub_responses import NAME, PACKAGED, ROOT_CS, S3, STACK, Aws, expect_create, expect_wait, run_review, stack
from support import REGISTRY, make_project, run_cli

NO_CHANGES = "The submitted information didn't contain changes. Submit different information to create a change set."


def pin_account(project: Path, account: str = "123456789012") -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["dev"]["account_id"] = account
    # A known account must name a source for API Gateway's CloudWatch role (here: already set up).
    registry["environments"]["dev"]["api"] = {"cloudwatch_role": "existing"}
    make_project(project, registry=registry)


def expect_no_changes(aws: Aws) -> None:
    aws.cfn_stub.add_response("describe_stacks", stack("UPDATE_COMPLETE"), {"StackName": STACK})
    expect_create(aws)
    expect_wait(aws, ["FAILED"], NO_CHANGES)
    aws.cfn_stub.add_response("delete_change_set", {}, {"ChangeSetName": ROOT_CS})


def identity(account: str) -> dict[str, str]:
    return {
        "UserId": "AROAEXAMPLEID:deployer",
        "Account": account,
        "Arn": f"arn:aws:sts::{account}:assumed-role/deployer/session",
    }


def test_credentials_of_another_account_are_refused_before_anything_is_created(project: Path, aws: Aws) -> None:
    pin_account(project)
    aws.sts_stub.add_response("get_caller_identity", identity("210987654321"), {})
    template = str(project.parent / "packaged.yaml")
    result = run_review(project, aws, "--env", "dev", "--template-file", template, "--change-set-name", NAME)
    assert (result.code, result.out, result.err) == (
        1,
        "",
        "error: environment 'dev' is account 123456789012 (services/registry.yaml: environments.dev.account_id), "
        "but the credentials are for account 210987654321 "
        "(arn:aws:sts::210987654321:assumed-role/deployer/session); use credentials for account 123456789012\n",
    )


def test_credentials_of_the_pinned_account_are_accepted(project: Path, aws: Aws) -> None:
    pin_account(project)
    aws.sts_stub.add_response("get_caller_identity", identity("123456789012"), {})
    expect_no_changes(aws)
    template = str(project.parent / "packaged.yaml")
    result = run_review(project, aws, "--env", "dev", "--template-file", template, "--change-set-name", NAME)
    assert result.code == 0, result.err


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (
            "UPDATE_IN_PROGRESS",
            "stack acme-dev is busy (UPDATE_IN_PROGRESS); wait until it finishes, then review again",
        ),
        (
            "ROLLBACK_COMPLETE",
            "stack acme-dev is ROLLBACK_COMPLETE and cannot be updated; delete it first (aws cloudformation "
            "delete-stack), then review again",
        ),
        (
            "UPDATE_ROLLBACK_FAILED",
            "stack acme-dev is UPDATE_ROLLBACK_FAILED and cannot be updated; continue the rollback first "
            "(aws cloudformation continue-update-rollback)",
        ),
    ],
)
def test_a_stack_that_cannot_take_a_change_set_is_refused(project: Path, aws: Aws, status: str, message: str) -> None:
    aws.cfn_stub.add_response("describe_stacks", stack(status), {"StackName": STACK})
    template = str(project.parent / "packaged.yaml")
    result = run_review(project, aws, "--env", "dev", "--template-file", template, "--change-set-name", NAME)
    assert (result.code, result.err) == (1, f"error: {message}\n")


def test_an_unpackaged_template_is_refused(project: Path, aws: Aws) -> None:
    result = run_review(project, aws, "--env", "dev", "--template-file", str(project / "build-template.yaml"))
    assert (result.code, result.err) == (1, f"error: --template-file {project / 'build-template.yaml'}: no such file\n")
    local = project / "unpackaged.yaml"
    local.write_text(PACKAGED.replace(f"{S3}/0c5d1f7e9a2b4c6d8e0f1a2b3c4d5e6f.template", "compute.yaml"))
    result = run_review(project, aws, "--env", "dev", "--template-file", str(local))
    assert (result.code, result.err) == (
        1,
        f"error: {local}: ComputeStack (AWS::CloudFormation::Stack) has TemplateURL compute.yaml, so the template "
        "is not packaged; pass the output of `sam package --config-env ENV --output-template-file FILE`\n",
    )


def test_an_invalid_change_set_name_is_refused(project: Path, aws: Aws) -> None:
    result = run_review(project, aws, "--env", "dev", "--change-set-name", "9-lives")
    assert (result.code, result.err) == (
        1,
        "error: --change-set-name 9-lives: use letters, digits and '-', starting with a letter (at most 128)\n",
    )


def test_without_a_template_file_review_runs_sam_package_with_the_environment_section(project: Path, aws: Aws) -> None:
    built = project / ".aws-sam/dev/template.yaml"
    built.parent.mkdir(parents=True)
    built.write_text("built by sam build\n")
    ran: list[tuple[list[str], Path]] = []

    def fake_sam_package(command: list[str], cwd: Path) -> None:
        ran.append((command, cwd))
        Path(command[command.index("--output-template-file") + 1]).write_text(PACKAGED)

    expect_no_changes(aws)
    result = run_review(project, aws, "--env", "dev", "--change-set-name", NAME, packager=fake_sam_package)
    assert result.code == 0, result.err
    ((command, cwd),) = ran
    output = command[command.index("--output-template-file") + 1]
    assert command == [
        "sam", "package", "--config-file", str(project / "samconfig.toml"), "--config-env", "dev",
        "--output-template-file", output, "--no-progressbar",
    ]  # fmt: skip
    assert cwd == project
    assert not Path(output).exists()  # a temporary file, removed after use
    assert (
        result.err.splitlines()[0]
        == f"packaging: sam package --config-file {project / 'samconfig.toml'} --config-env dev --output-template-file {output} --no-progressbar"
    )


def test_without_a_sam_build_review_says_what_to_run(project: Path, aws: Aws) -> None:
    result = run_review(project, aws, "--env", "dev", "--change-set-name", NAME, packager=lambda *_: None)
    assert (result.code, result.err) == (
        1,
        "error: .aws-sam/dev/template.yaml does not exist: run `template-gen synth --env dev` and `sam build "
        "--config-env dev` first, or pass --template-file with the output of `sam package`\n",
    )


def test_a_build_older_than_the_last_synth_is_warned_about(project: Path, aws: Aws) -> None:
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    built = project / ".aws-sam/dev/template.yaml"
    built.parent.mkdir(parents=True)
    built.write_text("built by sam build\n")
    synthesized = project / "build/dev/template.yaml"
    os.utime(built, (1_700_000_000, 1_700_000_000))
    os.utime(synthesized, (1_700_000_100, 1_700_000_100))

    def fake_sam_package(command: list[str], _cwd: Path) -> None:
        Path(command[command.index("--output-template-file") + 1]).write_text(PACKAGED)

    expect_no_changes(aws)
    result = run_review(project, aws, "--env", "dev", "--change-set-name", NAME, packager=fake_sam_package)
    assert result.err.splitlines()[0] == (
        "warning: build/dev/ is newer than .aws-sam/dev/template.yaml: run `sam build --config-env dev` so the "
        "review shows it"
    )
