"""Where review finds its stack (samconfig.toml, else the registry) and how it runs `sam package`."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import REGISTRY, make_project

from template_gen.errors import AwsError, UsageError
from template_gen.pipeline import load_registry
from template_gen.review import aws

ROOT = Path(__file__).resolve().parents[3]


def target_of(project: Path, env: str = "dev") -> aws.Target:
    return aws.target(project, env, load_registry(project, [env]))


def test_the_target_comes_from_the_environments_samconfig_sections(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    shutil.copy(ROOT / "samconfig.toml", project / "samconfig.toml")
    assert target_of(project) == aws.Target(
        environment="dev",
        stack_name="acme-dev",
        region="eu-west-1",
        capabilities=("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"),
        tags=(("platform", "acme"), ("environment", "dev")),
        parameters=(),
        account_id=None,
        profile=None,
    )


def test_without_samconfig_the_registry_names_the_stack_and_region(tmp_path: Path) -> None:
    registry = copy.deepcopy(REGISTRY)
    registry["environments"]["prod"] |= {
        "region": "us-east-2",
        "account_id": "123456789012",
        "api": {"cloudwatch_role": "existing"},  # a known account names its API Gateway logging role
    }
    project = make_project(tmp_path, registry=registry)
    found = target_of(project, "prod")
    assert (found.stack_name, found.region, found.capabilities, found.tags, found.account_id) == (
        "acme-prod",
        "us-east-2",
        ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"),
        (),
        "123456789012",
    )


def test_samconfig_overrides_profile_and_parameters_are_read(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "samconfig.toml").write_text(
        "version = 0.1\n"
        "[dev.global.parameters]\n"
        'stack_name = "acme-dev-blue"\nregion = "eu-central-1"\nprofile = "acme-dev"\n'
        "[dev.deploy.parameters]\n"
        'capabilities = "CAPABILITY_NAMED_IAM CAPABILITY_AUTO_EXPAND"\n'
        "parameter_overrides = 'Stage=\"blue green\" Size=2'\n"
    )
    found = target_of(project)
    assert (found.stack_name, found.region, found.profile, found.capabilities, found.parameters) == (
        "acme-dev-blue",
        "eu-central-1",
        "acme-dev",
        ("CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"),
        (("Stage", "blue green"), ("Size", "2")),
    )


def test_the_deploy_section_overrides_the_global_one_for_every_setting_as_in_the_sam_cli(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "samconfig.toml").write_text(
        "version = 0.1\n"
        "[dev.global.parameters]\n"
        'stack_name = "acme-dev-blue"\nregion = "eu-central-1"\nprofile = "acme-global"\n'
        "[dev.deploy.parameters]\n"
        'stack_name = "acme-dev-green"\nprofile = "acme-deploy"\n'
    )
    found = target_of(project)
    assert (found.stack_name, found.region, found.profile) == ("acme-dev-green", "eu-central-1", "acme-deploy")


def test_a_malformed_samconfig_is_a_user_error(tmp_path: Path) -> None:
    project = make_project(tmp_path)
    (project / "samconfig.toml").write_text("[dev.deploy.parameters]\ntags = 'platform'\n")
    with pytest.raises(UsageError, match=r"^samconfig.toml: tags: 'platform' is not KEY=VALUE$"):
        target_of(project)


def test_the_package_command_uses_the_environments_samconfig_section(tmp_path: Path) -> None:
    assert aws.package_command(tmp_path, "prod", tmp_path / "out/packaged.yaml") == [
        "sam",
        "package",
        "--config-file",
        str(tmp_path / "samconfig.toml"),
        "--config-env",
        "prod",
        "--output-template-file",
        str(tmp_path / "out/packaged.yaml"),
        "--no-progressbar",
    ]


def test_a_failing_sam_package_reports_its_last_lines(tmp_path: Path) -> None:
    calls: list[dict[str, Any]] = []

    def runner(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append({"command": command, **kwargs})
        stderr = "\n".join(f"line {i}" for i in range(12)) + "\nError: Unable to upload artifact"
        return subprocess.CompletedProcess(command, 1, stdout="", stderr=stderr)

    command = aws.package_command(tmp_path, "dev", tmp_path / "p.yaml")
    with pytest.raises(AwsError) as caught:
        aws.run_package(command, tmp_path, runner=runner, which=lambda name: f"/opt/bin/{name}")
    assert str(caught.value).splitlines() == [
        f"`sam package --config-file {tmp_path}/samconfig.toml --config-env dev --output-template-file "
        f"{tmp_path}/p.yaml --no-progressbar` failed (exit 1):",
        *[f"line {i}" for i in range(3, 12)],
        "Error: Unable to upload artifact",
    ]
    assert calls == [
        {
            "command": ["/opt/bin/sam", *command[1:]],
            "cwd": tmp_path,
            "capture_output": True,
            "text": True,
            "check": False,
        }
    ]


def test_without_the_sam_cli_review_says_to_install_it_or_pass_a_template(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"^the SAM CLI \(`sam`\) is not on PATH; install it, or pass --template-file"):
        aws.run_package(["sam", "package"], tmp_path, which=lambda _name: None)


def test_a_root_template_over_the_request_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "packaged.yaml"
    big.write_text("Description: '" + "x" * 51_200 + "'\nResources: {}\n")
    with pytest.raises(UsageError) as caught:
        aws.packaged_template(big)
    assert str(caught.value) == (
        f"{big}: 51,230 bytes; CloudFormation takes at most 51,200 bytes in a request (review sends the root "
        "template inline; nested templates may be larger)"
    )
