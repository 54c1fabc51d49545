"""`template-gen publish`: the container supply chain step of onboarding.

ECR login, `docker build` for the service's platform, `docker tag` with the repository URI the deployed
compute stack exports, `docker push`, then the tag and digest are recorded in
`services/environments/<env>.images.json` (see `deployed_images`) so that the next synth deploys it. AWS
clients come from an injectable factory (tests use botocore's Stubber), and docker is whatever `docker`
is on PATH (tests put a recording fake there).
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from template_gen import deployed_images, naming, samconfig
from template_gen.aws_data import STACK_TYPE
from template_gen.errors import AwsError, TemplateGenError, UsageError
from template_gen.registry import loader
from template_gen.registry.models import ContainerService
from template_gen.registry.validate import check_environment, validate

# The task definition's RuntimePlatform.CpuArchitecture follows the service's `platform`; an image of the
# other architecture fails to start with "exec format error".
PLATFORMS = {"x86_64": "linux/amd64", "arm64": "linux/arm64"}
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


@dataclass(frozen=True)
class Target:
    """What to publish, checked against the registry before anything runs."""

    project_dir: Path
    service: str
    environment: str
    tag: str
    region: str
    stack_name: str
    account_id: str | None
    profile: str | None  # samconfig's `profile`, as review and `sam deploy` use it
    service_file: str
    context: Path
    dockerfile: Path | None
    platform: str = PLATFORMS["x86_64"]  # docker's --platform

    @property
    def output_key(self) -> str:
        return f"{naming.logical_id(self.service)}RepositoryUri"

    @property
    def local_image(self) -> str:
        return f"{self.service}:{self.tag}"


def prepare(
    project_dir: Path,
    service: str,
    env: str,
    tag: str,
    context: Path | None = None,
    dockerfile: Path | None = None,
) -> Target:
    raw = loader.load(project_dir)
    if raw.registry.data is not None:
        check_environment(env, list(raw.registry.data.get("environments") or {}))
    if not _TAG.match(tag):
        raise UsageError(
            f"--tag {tag}: not a valid image tag (letters, digits, '_', '.' and '-', at most 128 characters, "
            "not starting with '.' or '-')"
        )
    valid = validate(raw, [env])
    if service not in valid.all_services:
        raise UsageError(f"'{service}' is not a service (no services/{service}/service.yaml)")
    entry = next((s for s in valid.environments[env].services if s.name == service), None)
    if entry is None:
        raise UsageError(
            f"'{service}' is not enabled in environment '{env}'; add it to environments.{env}.services in "
            f"{loader.REGISTRY_FILE}"
        )
    model = entry.model
    if not isinstance(model, ContainerService):
        raise UsageError(f"'{service}' is a Lambda service; publish builds images for container services only")
    if model.image.repository:
        raise UsageError(
            f"'{service}' runs an external image ({model.image.repository}) in environment '{env}'; publish pushes "
            "only to the service's own ECR repository"
        )
    context = context if context is not None else Path.cwd()
    if not context.is_dir():
        raise UsageError(f"--context {context}: not a folder")
    if dockerfile is not None and not dockerfile.is_file():
        raise UsageError(f"--dockerfile {dockerfile}: no such file")
    config = samconfig.read(project_dir)  # where `sam deploy --config-env ENV` puts the stack
    registry_env = valid.environments[env].model
    return Target(
        project_dir=project_dir,
        service=service,
        environment=env,
        tag=tag,
        region=str(samconfig.setting(config, env, "region") or valid.registry.region_of(env)),
        stack_name=str(samconfig.setting(config, env, "stack_name") or naming.stack_name(valid.registry.platform, env)),
        account_id=registry_env.account_id,
        profile=str(samconfig.setting(config, env, "profile") or "") or None,
        service_file=entry.file,
        context=context,
        dockerfile=dockerfile,
        platform=PLATFORMS[model.platform],
    )


def repository_uri(target: Target, cloudformation: Any) -> str:
    """The `<Service>RepositoryUri` output of whichever nested stack of the root stack has it (compute
    may be split across several nested stacks)."""
    try:
        nested = []
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=target.stack_name):
            nested += [r for r in page["StackResourceSummaries"] if r["ResourceType"] == STACK_TYPE]
        for resource in sorted(nested, key=lambda r: r["LogicalResourceId"]):
            stack = cloudformation.describe_stacks(StackName=resource["PhysicalResourceId"])["Stacks"][0]
            for output in stack.get("Outputs", []):
                if output["OutputKey"] == target.output_key:
                    return str(output["OutputValue"])
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", str(exc))
        if "does not exist" in message:
            raise AwsError(
                f"stack {target.stack_name} does not exist in {target.region}; deploy the environment first "
                f"(template-gen synth --env {target.environment}, then sam deploy --config-env {target.environment})"
            ) from exc
        raise AwsError(f"could not read stack {target.stack_name}: {message}") from exc
    except BotoCoreError as exc:
        raise AwsError(f"could not read stack {target.stack_name}: {exc}") from exc
    raise AwsError(
        f"no nested stack of {target.stack_name} has the output {target.output_key}; synthesize and deploy "
        f"environment '{target.environment}' with '{target.service}' enabled first"
    )


def check_account(target: Target, uri: str) -> None:
    account = uri.split(".", 1)[0]
    if target.account_id and account != target.account_id:
        raise AwsError(
            f"environment '{target.environment}' is account {target.account_id}, but the credentials reach "
            f"account {account}; use credentials for account {target.account_id}"
        )


def registry_login(ecr: Any) -> tuple[str, str]:
    """(user name, password) for `docker login`, from ECR. The password is never printed."""
    try:
        data = ecr.get_authorization_token()["authorizationData"][0]
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(f"could not get an ECR login token: {exc}") from exc
    user, _, password = base64.b64decode(data["authorizationToken"]).decode("utf-8").partition(":")
    return user, password


def docker_commands(target: Target, uri: str) -> list[list[str]]:
    """build, tag, push (login is separate: its password goes to stdin)."""
    remote = f"{uri}:{target.tag}"
    build = ["build", "--platform", target.platform, "-t", target.local_image]
    if target.dockerfile is not None:
        build += ["-f", str(target.dockerfile)]
    return [[*build, str(target.context)], ["tag", target.local_image, remote], ["push", remote]]


def docker_executable() -> str:
    found = shutil.which("docker")
    if found is None:
        raise UsageError("publish needs the `docker` program, which is not on PATH; install Docker and try again")
    return found


def run_docker(docker: str, args: Sequence[str], stdin: str | None = None) -> None:
    """Run one docker command; its output goes to the terminal (build logs), except for login."""
    try:
        if stdin is None:  # build logs go straight to the terminal; docker never reads ours
            done = subprocess.run([docker, *args], stdin=subprocess.DEVNULL, check=False)
        else:
            done = subprocess.run([docker, *args], input=stdin.encode("utf-8"), capture_output=True, check=False)
    except OSError as exc:
        raise TemplateGenError(f"`docker {args[0]}` could not run: {exc}") from exc
    if done.returncode != 0:
        detail = (done.stderr or b"").decode("utf-8", "replace").strip()
        raise TemplateGenError(
            f"`docker {args[0]}` failed (exit {done.returncode})" + (f": {detail}" if detail else "")
        )


def repository_name(uri: str) -> str:
    """`123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/dev/quoting` -> `acme/dev/quoting`."""
    return uri.split("/", 1)[1]


def image_digest(ecr: Any, uri: str, tag: str) -> str:
    """The digest ECR gives the pushed tag: what the record keeps, so a promotion copies this exact image."""
    try:
        found = ecr.describe_images(repositoryName=repository_name(uri), imageIds=[{"imageTag": tag}])
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(f"could not read the digest of {uri}:{tag}: {exc}") from exc
    return str(found["imageDetails"][0]["imageDigest"])


def record_image(target: Target, digest: str) -> str:
    """Record the tag (and digest) the environment runs; the path of the record, relative to the project."""
    deployed_images.record(
        target.project_dir, target.environment, {target.service: {"tag": target.tag, "digest": digest}}
    )
    return deployed_images.rel_path(target.environment)
