"""template-gen publish: ECR login, docker build/tag/push with the repository URI the deployed stack
exports, then the tag and digest recorded in services/environments/<env>.images.json; promotion copies the
exact image between environments' repositories. AWS is stubbed (botocore Stubber) and docker is a
fake on PATH that records its calls; nothing reaches AWS or a registry."""

from __future__ import annotations

import base64
import io
import json
import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import Stubber
from onboarding_support import snapshot
from support import run_cli
from synth_cases import CASES, copy_project

from template_gen.commands.publish import Published, do_publish
from template_gen.console import Console
from template_gen.errors import AwsError, TemplateGenError

ACCOUNT = "123456789012"
REGISTRY_HOST = f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
URI = f"{REGISTRY_HOST}/acme/dev/quoting"
PASSWORD = "eyJwYXlsb2FkIjoi-not-a-real-password"
DIGEST = "sha256:5f0b6d3c1a9e8f7d2c4b6a8e0f1d3c5b7a9e1f3d5c7b9a1e3f5d7c9b1a3e5f70"
WHEN = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

FAKE_DOCKER = """#!{python}
import json, os, sys
stdin = sys.stdin.read() if sys.stdin is not None else ""
with open(os.environ["FAKE_DOCKER_LOG"], "a", encoding="utf-8") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "stdin": stdin}}) + "\\n")
if os.environ.get("FAKE_DOCKER_FAIL") == sys.argv[1]:
    print("fake docker: " + sys.argv[1] + " failed", file=sys.stderr)
    sys.exit(3)
"""


@pytest.fixture()
def docker_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake `docker` first on PATH; returns the file its calls are recorded in (one JSON line each)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER.format(python=sys.executable))
    docker.chmod(docker.stat().st_mode | stat.S_IXUSR)
    log = tmp_path / "docker-calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}")
    monkeypatch.setenv("FAKE_DOCKER_LOG", str(log))
    monkeypatch.delenv("FAKE_DOCKER_FAIL", raising=False)
    return log


def calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    path = copy_project(CASES["example"].project, tmp_path / "project")
    (path / "app").mkdir()
    (path / "app" / "Dockerfile").write_text("FROM scratch\n")
    return path


def nested(logical: str) -> dict[str, Any]:
    return {
        "LogicalResourceId": logical,
        "PhysicalResourceId": f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/acme-dev-{logical}-X/1",
        "ResourceType": "AWS::CloudFormation::Stack",
        "LastUpdatedTimestamp": WHEN,
        "ResourceStatus": "UPDATE_COMPLETE",
    }


def stack(logical: str, outputs: dict[str, str]) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": f"acme-dev-{logical}-X",
                "CreationTime": WHEN,
                "StackStatus": "UPDATE_COMPLETE",
                "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
            }
        ]
    }


def image_detail(repository: str, tag: str, digest: str = DIGEST) -> dict[str, Any]:
    return {
        "imageDetails": [
            {
                "registryId": ACCOUNT,
                "repositoryName": repository,
                "imageDigest": digest,
                "imageTags": [tag],
                "imageSizeInBytes": 48_213_775,
                "imagePushedAt": WHEN,
                "imageManifestMediaType": "application/vnd.oci.image.index.v1+json",
                "artifactMediaType": "application/vnd.oci.image.index.v1+json",
            }
        ]
    }


class Aws:
    """Stubbed CloudFormation and ECR clients, handed out by `factory`."""

    def __init__(self) -> None:
        self.cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
        self.ecr = boto3.client("ecr", region_name="eu-west-1")
        self.cfn_stub = Stubber(self.cloudformation)
        self.ecr_stub = Stubber(self.ecr)
        self.asked: list[tuple[str, str]] = []

    def factory(self, service: str, region: str) -> Any:
        self.asked.append((service, region))
        return {"cloudformation": self.cloudformation, "ecr": self.ecr}[service]

    def deployed(self, stack_name: str = "acme-dev", uri: str = URI) -> None:
        """Two compute shards: the second one holds the service's repository."""
        self.cfn_stub.add_response(
            "list_stack_resources",
            {"StackResourceSummaries": [nested("NetworkStack"), nested("ComputeStack2"), nested("ComputeStack")]},
            {"StackName": stack_name},
        )
        for logical, outputs in [
            ("ComputeStack", {"ProductPricingRepositoryUri": "x"}),
            ("ComputeStack2", {"QuotingServiceName": "quoting", "QuotingRepositoryUri": uri}),
        ]:
            self.cfn_stub.add_response(
                "describe_stacks", stack(logical, outputs), {"StackName": nested(logical)["PhysicalResourceId"]}
            )

    def login(self) -> None:
        token = base64.b64encode(f"AWS:{PASSWORD}".encode()).decode()
        self.ecr_stub.add_response(
            "get_authorization_token",
            {"authorizationData": [{"authorizationToken": token, "proxyEndpoint": f"https://{REGISTRY_HOST}"}]},
            {},
        )

    def pushed(self, tag: str, repository: str = "acme/dev/quoting") -> None:
        """ECR's digest of the pushed tag, read for the record."""
        self.ecr_stub.add_response(
            "describe_images",
            image_detail(repository, tag),
            {"repositoryName": repository, "imageIds": [{"imageTag": tag}]},
        )


@pytest.fixture()
def aws() -> Iterator[Aws]:
    stubs = Aws()
    with stubs.cfn_stub, stubs.ecr_stub:
        yield stubs
        stubs.cfn_stub.assert_no_pending_responses()
        stubs.ecr_stub.assert_no_pending_responses()


def publish_quoting(project: Path, aws: Aws) -> Published:
    """`quoting` tag 1 to dev from project/app, with the stubbed clients and a silent console."""
    return do_publish(
        project, "quoting", "dev", "1", project / "app", None, aws.factory, Console(io.StringIO(), io.StringIO())
    )


def test_publish_logs_in_builds_tags_pushes_and_records_the_tag(project: Path, docker_log: Path, aws: Aws) -> None:
    aws.deployed()
    aws.login()
    aws.pushed("1.4.2")
    before = (project / "services/quoting/service.yaml").read_text()
    err = io.StringIO()
    done = do_publish(
        project, "quoting", "dev", "1.4.2", project / "app", None, aws.factory, Console(io.StringIO(), err)
    )
    assert calls(docker_log) == [
        {"argv": ["login", "--username", "AWS", "--password-stdin", REGISTRY_HOST], "stdin": PASSWORD},
        {"argv": ["build", "--platform", "linux/amd64", "-t", "quoting:1.4.2", str(project / "app")], "stdin": ""},
        {"argv": ["tag", "quoting:1.4.2", f"{URI}:1.4.2"], "stdin": ""},
        {"argv": ["push", f"{URI}:1.4.2"], "stdin": ""},
    ]
    assert aws.asked == [("cloudformation", "eu-west-1"), ("ecr", "eu-west-1")]
    assert done == Published(f"{URI}:1.4.2", DIGEST, "services/environments/dev.images.json")
    assert err.getvalue().splitlines() == [
        "reading the repository of quoting from stack acme-dev ...",
        f"logging in to {REGISTRY_HOST} ...",
        "building quoting:1.4.2 for linux/amd64 ...",
        f"pushing {URI}:1.4.2 ...",
    ]
    # The service file is left alone; the record beside the placement file keeps tag and digest.
    assert (project / "services/quoting/service.yaml").read_text() == before
    assert json.loads((project / "services/environments/dev.images.json").read_text()) == {
        "version": 1,
        "images": {"quoting": {"digest": DIGEST, "tag": "1.4.2"}},
    }
    assert run_cli("synth", "--env", "dev", project=project).code == 0
    compute = yaml.safe_load((project / "build/dev/compute.yaml").read_text())
    image = compute["Resources"]["QuotingTaskDefinition"]["Properties"]["ContainerDefinitions"][0]["Image"]
    assert image == {"Fn::Join": ["", [{"Fn::GetAtt": ["QuotingRepository", "RepositoryUri"]}, ":", "1.4.2"]]}


def test_publish_through_the_cli_prints_the_result_and_never_the_password(
    project: Path, docker_log: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.deployed()
    aws.login()
    aws.pushed("2026.11.24")
    monkeypatch.setattr("template_gen.review.aws.client_factory", lambda profile=None: aws.factory)
    dockerfile = project / "app" / "Dockerfile"
    result = run_cli(
        "publish", "quoting", "--env", "dev", "--tag", "2026.11.24", "--context", str(project / "app"),
        "--dockerfile", str(dockerfile), project=project,
    )  # fmt: skip
    assert (result.code, result.out.splitlines()) == (
        0,
        [
            f"pushed {URI}:2026.11.24",
            f"recorded quoting 2026.11.24 ({DIGEST}) in services/environments/dev.images.json",
            "next: template-gen deploy --env dev",
        ],
    )
    assert calls(docker_log)[1]["argv"] == [
        "build", "--platform", "linux/amd64", "-t", "quoting:2026.11.24", "-f", str(dockerfile), str(project / "app"),
    ]  # fmt: skip
    assert PASSWORD not in result.out + result.err
    assert all(PASSWORD not in " ".join(call["argv"]) for call in calls(docker_log))


def test_the_stack_name_and_region_come_from_samconfig(project: Path, docker_log: Path, aws: Aws) -> None:
    (project / "samconfig.toml").write_text(
        'version = 0.1\n[dev.global.parameters]\nstack_name = "acme-dev-blue"\nregion = "eu-west-1"\n'
    )
    aws.deployed(stack_name="acme-dev-blue")
    aws.login()
    aws.pushed("1")
    publish_quoting(project, aws)
    assert [c["argv"][0] for c in calls(docker_log)] == ["login", "build", "tag", "push"]


def test_publish_uses_the_samconfig_profile_like_sam_deploy(
    project: Path, docker_log: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "samconfig.toml").write_text(
        'version = 0.1\n[dev.global.parameters]\nprofile = "acme-global"\n'
        '[dev.deploy.parameters]\nprofile = "acme-dev"\n'
    )
    aws.deployed()
    aws.login()
    aws.pushed("1.0.0")
    profiles: list[str | None] = []

    def factory(profile: str | None = None) -> Any:
        profiles.append(profile)
        return aws.factory

    monkeypatch.setattr("template_gen.review.aws.client_factory", factory)
    result = run_cli(
        "publish", "quoting", "--env", "dev", "--tag", "1.0.0", "--context", str(project / "app"), project=project
    )  # fmt: skip
    assert (result.code, profiles) == (0, ["acme-dev"])


def test_a_stack_that_was_never_deployed_is_explained(project: Path, docker_log: Path, aws: Aws) -> None:
    aws.cfn_stub.add_client_error(
        "list_stack_resources",
        "ValidationError",
        "Stack with id acme-dev does not exist",
        400,
        {"StackName": "acme-dev"},
    )
    with pytest.raises(AwsError) as caught:
        publish_quoting(project, aws)
    assert str(caught.value) == (
        "stack acme-dev does not exist in eu-west-1; deploy the environment first "
        "(template-gen synth --env dev, then sam deploy --config-env dev)"
    )
    assert calls(docker_log) == []


def test_a_stack_without_the_services_repository_output_is_explained(project: Path, docker_log: Path, aws: Aws) -> None:
    aws.cfn_stub.add_response(
        "list_stack_resources", {"StackResourceSummaries": [nested("ComputeStack")]}, {"StackName": "acme-dev"}
    )
    aws.cfn_stub.add_response(
        "describe_stacks", stack("ComputeStack", {}), {"StackName": nested("ComputeStack")["PhysicalResourceId"]}
    )
    with pytest.raises(AwsError) as caught:
        publish_quoting(project, aws)
    assert str(caught.value) == (
        "no nested stack of acme-dev has the output QuotingRepositoryUri; synthesize and deploy environment "
        "'dev' with 'quoting' enabled first"
    )


def test_credentials_of_another_account_are_refused(project: Path, docker_log: Path, aws: Aws) -> None:
    registry = project / "services/registry.yaml"
    registry.write_text(
        registry.read_text().replace(
            "    log_retention_days: 14\n", "    log_retention_days: 14\n    account_id: '210987654321'\n"
        )
    )
    aws.deployed()
    with pytest.raises(AwsError) as caught:
        publish_quoting(project, aws)
    assert str(caught.value) == (
        "environment 'dev' is account 210987654321, but the credentials reach account 123456789012; "
        "use credentials for account 210987654321"
    )
    assert calls(docker_log) == []


@pytest.mark.parametrize("failing", ["login", "build", "push"])
def test_a_failed_docker_step_stops_and_records_nothing(
    project: Path, docker_log: Path, aws: Aws, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    aws.deployed()
    aws.login()
    monkeypatch.setenv("FAKE_DOCKER_FAIL", failing)
    before = snapshot(project)
    with pytest.raises(TemplateGenError) as caught:
        publish_quoting(project, aws)
    detail = ": fake docker: login failed" if failing == "login" else ""  # build and push log to the terminal
    assert str(caught.value) == f"`docker {failing}` failed (exit 3){detail}"
    assert calls(docker_log)[-1]["argv"][0] == failing
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("platform-info", "--env", "dev", "--tag", "1"),
            "'platform-info' is a Lambda service; publish builds images for container services only",
        ),
        (("billing", "--env", "dev", "--tag", "1"), "'billing' is not a service (no services/billing/service.yaml)"),
        (
            ("quoting", "--env", "staging", "--tag", "1"),
            "--env staging: no environment named 'staging' (defined: dev, prod)",
        ),
        (
            ("quoting", "--env", "dev", "--tag", ".latest"),
            "--tag .latest: not a valid image tag (letters, digits, '_', '.' and '-', at most 128 characters, "
            "not starting with '.' or '-')",
        ),
        (
            ("quoting", "--env", "dev", "--tag", "1", "--context", "/nonexistent"),
            "--context /nonexistent: not a folder",
        ),
    ],
)
def test_bad_input_is_refused_before_any_aws_or_docker_call(
    project: Path, docker_log: Path, args: tuple[str, ...], message: str
) -> None:
    before = snapshot(project)
    result = run_cli("publish", *args, project=project)
    assert (result.code, result.out, result.err) == (1, "", f"error: {message}\n")
    assert calls(docker_log) == []
    assert snapshot(project) == before


def test_a_service_not_enabled_in_the_environment_is_refused(project: Path, docker_log: Path) -> None:
    registry = project / "services/registry.yaml"
    text = registry.read_text()
    # quote-notifier calls quoting, so it goes too (a call to a disabled service is refused).
    registry.write_text(text.replace("      - quoting\n", "", 1).replace("      - quote-notifier\n", "", 1))
    result = run_cli("publish", "quoting", "--env", "dev", "--tag", "1", project=project)
    assert (result.code, result.err) == (
        1,
        "error: 'quoting' is not enabled in environment 'dev'; add it to environments.dev.services in "
        "services/registry.yaml\n",
    )


def test_a_service_with_an_external_image_is_refused(project: Path, docker_log: Path) -> None:
    service = project / "services/quoting/service.yaml"
    service.write_text(
        service.read_text().replace("  tag: null", "  repository: public.ecr.aws/acme/quoting\n  tag: null")
    )
    result = run_cli("publish", "quoting", "--env", "dev", "--tag", "1", project=project)
    assert (result.code, result.err) == (
        1,
        "error: 'quoting' runs an external image (public.ecr.aws/acme/quoting) in environment 'dev'; publish "
        "pushes only to the service's own ECR repository\n",
    )


def test_without_docker_installed_the_error_says_so(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run_cli("publish", "quoting", "--env", "dev", "--tag", "1", project=project)
    assert (result.code, result.err) == (
        1,
        "error: publish needs the `docker` program, which is not on PATH; install Docker and try again\n",
    )
