"""What `template-gen review` needs before it talks to CloudFormation: the stack and region (from
samconfig.toml, as `sam deploy --config-env ENV` uses them), the account check, AWS clients from an
injectable factory, and the packaged template (`sam package` output, made here when not given)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from template_gen import naming
from template_gen.aws_data import STACK_TYPE
from template_gen.errors import AwsError, UsageError
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.registry.validate import ValidRegistry
from template_gen.review.templates import nested_stacks, parse_template
from template_gen.samconfig import SAMCONFIG, setting
from template_gen.samconfig import read as read_samconfig

ClientFactory = Callable[[str, str], Any]  # (service, region) -> boto3 client
DEFAULT_CAPABILITIES = ("CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")
TEMPLATE_BODY_MAX = 51_200  # CreateChangeSet's TemplateBody limit; larger ones must come from S3


@dataclass(frozen=True)
class Target:
    environment: str
    stack_name: str
    region: str
    capabilities: tuple[str, ...]
    tags: tuple[tuple[str, str], ...]
    parameters: tuple[tuple[str, str], ...]
    account_id: str | None
    profile: str | None


def client_factory(profile: str | None = None) -> ClientFactory:
    """Clients of one boto3 session (the named profile, else the default credential chain); review and
    publish make every AWS client through this."""
    session = boto3.session.Session(profile_name=profile) if profile else boto3.session.Session()

    def make(service: str, region: str) -> Any:
        create: Any = session.client  # typed per literal service name; ours is a variable
        return create(service, region_name=region)

    return make


def target(project_dir: Path, env_name: str, valid: ValidRegistry) -> Target:
    """The stack to review, the way `sam deploy --config-env ENV` would find it; registry values when
    samconfig.toml has no section for the environment."""
    config = read_samconfig(project_dir)

    def value(key: str) -> Any:
        return setting(config, env_name, key)

    env = valid.environments[env_name].model
    capabilities = value("capabilities")
    if isinstance(capabilities, str):
        capabilities = capabilities.split()
    return Target(
        environment=env_name,
        stack_name=str(value("stack_name") or naming.stack_name(valid.registry.platform, env_name)),
        region=str(value("region") or valid.registry.region_of(env_name)),
        capabilities=tuple(capabilities or DEFAULT_CAPABILITIES),
        tags=_pairs(value("tags"), "tags"),
        parameters=_pairs(value("parameter_overrides"), "parameter_overrides"),
        account_id=env.account_id,
        profile=str(value("profile") or "") or None,
    )


def _pairs(value: Any, key: str) -> tuple[tuple[str, str], ...]:
    """samconfig's `Key=Value Key2="a value"` strings (or lists of them) as pairs."""
    if not value:
        return ()
    words = shlex.split(value) if isinstance(value, str) else [str(v) for v in value]
    pairs = []
    for word in words:
        name, sep, text = word.partition("=")
        if not sep or not name:
            raise UsageError(f"{SAMCONFIG}: {key}: '{word}' is not KEY=VALUE")
        pairs.append((name, text))
    return tuple(pairs)


def check_account(sts: Any, target: Target) -> None:
    """Refuse credentials of another account when the registry pins the environment's account."""
    if not target.account_id:
        return
    try:
        identity = sts.get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise AwsError(f"could not check which AWS account the credentials are for: {exc}") from exc
    if identity["Account"] != target.account_id:
        raise AwsError(
            f"environment '{target.environment}' is account {target.account_id} ({REGISTRY_FILE}: "
            f"environments.{target.environment}.account_id), but the credentials are for account "
            f"{identity['Account']} ({identity['Arn']}); use credentials for account {target.account_id}"
        )


def packaged_template(path: Path) -> str:
    """The text of a `sam package` output, checked: nested stacks must point at S3, and the body must
    fit CreateChangeSet's limit."""
    if not path.is_file():
        raise UsageError(f"--template-file {path}: no such file")
    text = path.read_text(encoding="utf-8")
    template = parse_template(text, str(path))
    for lid, url in nested_stacks(template):
        if not (isinstance(url, str) and url.startswith("https://")):
            raise UsageError(
                f"{path}: {lid} ({STACK_TYPE}) has TemplateURL {url}, so the template is not packaged; pass "
                "the output of `sam package --config-env ENV --output-template-file FILE`"
            )
    size = len(text.encode("utf-8"))
    if size > TEMPLATE_BODY_MAX:
        raise UsageError(
            f"{path}: {size:,} bytes; CloudFormation takes at most {TEMPLATE_BODY_MAX:,} bytes in a request "
            "(review sends the root template inline; nested templates may be larger)"
        )
    return text


def package_command(project_dir: Path, env_name: str, output: Path) -> list[str]:
    """`sam package` with the environment's samconfig section (bucket, prefix, region, the built template)."""
    return [
        "sam",
        "package",
        "--config-file",
        str(project_dir / SAMCONFIG),
        "--config-env",
        env_name,
        "--output-template-file",
        str(output),
        "--no-progressbar",
    ]


def check_built(project_dir: Path, env_name: str) -> str | None:
    """Fail early when `sam build` has not run; a warning when the build is older than the last synth."""
    template_file = setting(read_samconfig(project_dir), env_name, "template_file", command="package")
    built = project_dir / str(template_file or f".aws-sam/{env_name}/template.yaml")
    rel = built.relative_to(project_dir).as_posix() if built.is_relative_to(project_dir) else str(built)
    if not built.is_file():
        raise UsageError(
            f"{rel} does not exist: run `template-gen synth --env {env_name}` and `sam build --config-env "
            f"{env_name}` first, or pass --template-file with the output of `sam package`"
        )
    synthesized = project_dir / "build" / env_name / "template.yaml"
    if synthesized.is_file() and synthesized.stat().st_mtime > built.stat().st_mtime:
        return f"build/{env_name}/ is newer than {rel}: run `sam build --config-env {env_name}` so the review shows it"
    return None


Runner = Callable[..., "subprocess.CompletedProcess[str]"]


def run_package(
    command: list[str],
    project_dir: Path,
    runner: Runner = subprocess.run,
    which: Callable[[str], str | None] = shutil.which,
) -> None:
    sam = which(command[0])
    if sam is None:
        raise UsageError(
            "the SAM CLI (`sam`) is not on PATH; install it, or pass --template-file with the output of "
            "`sam package --config-env ENV --output-template-file FILE`"
        )
    done = runner([sam, *command[1:]], cwd=project_dir, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout or "").strip().splitlines()[-10:])
        raise AwsError(f"`{shlex.join(command)}` failed (exit {done.returncode}):\n{tail}")
