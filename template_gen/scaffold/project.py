"""`template-gen init DIR`: a new platform repository that synthesizes and passes cfn-lint as it is:
the registry (dev and prod), one example service, samconfig.toml, a Makefile, .gitignore, the JSON
schemas and a README."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from template_gen import naming
from template_gen.errors import UsageError
from template_gen.project_files.transaction import FileTransaction
from template_gen.registry import schema, versions
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.samconfig import SAMCONFIG
from template_gen.scaffold import repo_files, service_yaml
from template_gen.scaffold.environment import SECTIONS
from template_gen.scaffold.plan import DEFAULT_PORT, PRIORITY_STEP, Plan

ENVIRONMENTS = ("dev", "prod")
EXAMPLE_SERVICE = "hello"
DEFAULT_REGION = "eu-west-1"
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


@dataclass
class InitResult:
    project_dir: Path
    platform: str
    region: str
    written: list[str] = field(default_factory=list)  # relative to the project


def default_platform(target: Path) -> str:
    """The folder's name, made into a platform name (lowercase letters, digits and hyphens)."""
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", target.resolve().name.lower())).strip("-")


def check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise UsageError(f"init {target}: is a file; give a new or empty folder")
    if target.is_dir() and any(target.iterdir()):
        raise UsageError(
            f"init {target}: the folder is not empty; init writes a new repository into a new or empty folder"
        )


def render(platform: str, region: str) -> dict[str, str]:
    """Every file of the new repository, by path."""
    base_path = f"/{EXAMPLE_SERVICE}"
    plan = Plan(
        name=EXAMPLE_SERVICE,
        kind="ecs",
        base_path=base_path,
        port=DEFAULT_PORT,
        priority=PRIORITY_STEP,
        auth="api_key",
        environments=ENVIRONMENTS,
        code_dir=None,
    )
    samconfig = repo_files.SAMCONFIG_HEADER + "\n".join(
        SECTIONS.format(env=env, stack=naming.stack_name(platform, env), region=region, platform=platform)
        for env in ENVIRONMENTS
    )
    files = {
        REGISTRY_FILE: repo_files.REGISTRY.substitute(
            version=versions.CURRENT, platform=platform, region=region, service=EXAMPLE_SERVICE
        ),
        plan.service_file: service_yaml(plan),
        SAMCONFIG: samconfig,
        "Makefile": repo_files.MAKEFILE,
        ".gitignore": repo_files.GITIGNORE,
        "README.md": repo_files.README.substitute(platform=platform, service=EXAMPLE_SERVICE, base_path=base_path),
    }
    files |= {f"{schema.SCHEMA_DIR}/{name}": text for name, text in schema.rendered().items()}
    return files


def init(target: Path, platform: str | None = None, region: str | None = None) -> InitResult:
    check_target(target)
    platform = platform or default_platform(target)
    message = naming.check_platform_name(platform)
    if message:
        hint = "" if platform != default_platform(target) else f" (taken from the folder name {target.name})"
        raise UsageError(f"--platform {platform}: {message}{hint}; pass --platform NAME")
    region = region or DEFAULT_REGION
    if not _REGION.match(region):
        raise UsageError(f"--region {region}: not an AWS Region name, e.g. eu-west-1")
    result = InitResult(target, platform, region)
    target.mkdir(parents=True, exist_ok=True)
    tx = FileTransaction(target)
    try:
        for rel, text in sorted(render(platform, region).items()):
            tx.create(rel, text)
            result.written.append(rel)
    except BaseException:
        tx.rollback()
        raise
    return result
