"""`template-gen new-env NAME --from ENV`: a new environment, copied from an existing one, in the registry
(its layout and comments kept) and in samconfig.toml (the source's sections with the environment's name
replaced), checked by validating and synthesizing it, or no change at all."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from template_gen import naming
from template_gen.errors import RegistryError, UsageError
from template_gen.project_files import yaml_edit
from template_gen.project_files.transaction import FileTransaction
from template_gen.registry import loader, samconfig_rules
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.samconfig import SAMCONFIG
from template_gen.scaffold import check_project

_TABLE = re.compile(r"^\[\s*([A-Za-z0-9_-]+)\.[^\]]*\]\s*(#.*)?$")

SECTIONS = """[{env}.global.parameters]
stack_name = "{stack}"
region = "{region}"

[{env}.validate.parameters]
template_file = "build/{env}/template.yaml"
lint = true

[{env}.build.parameters]
template_file = "build/{env}/template.yaml"
build_dir = ".aws-sam/{env}"
cached = true
parallel = true

[{env}.package.parameters]
template_file = ".aws-sam/{env}/template.yaml"
resolve_s3 = true
s3_prefix = "{stack}"

[{env}.deploy.parameters]
template_file = ".aws-sam/{env}/template.yaml"
resolve_s3 = true
s3_prefix = "{stack}"
capabilities = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
confirm_changeset = true
fail_on_empty_changeset = false
tags = "platform=\\"{platform}\\" environment=\\"{env}\\""

[{env}.local_invoke.parameters]
template_file = ".aws-sam/{env}/template.yaml"
"""


@dataclass
class NewEnvironment:
    name: str
    source: str
    samconfig: str  # "copied", "generated" or "kept" (it had correct sections already)
    synthesized: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def copy_sections(text: str, source: str, name: str) -> str:
    """The `[source.*]` tables of a samconfig.toml, with `source` replaced by `name` as a word
    (`acme-dev` -> `acme-staging`, `build/dev/` -> `build/staging/`)."""
    tables: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        match = _TABLE.match(line.strip())
        if match:
            current = [] if match.group(1) == source else None
            if current is not None:
                tables.append(current)
        if current is not None:
            current.append(line)
    word = re.compile(rf"(?<![A-Za-z0-9_]){re.escape(source)}(?![A-Za-z0-9_])")
    return "\n\n".join(word.sub(name, "\n".join(lines).strip()) for lines in tables) + "\n" if tables else ""


def new_environment(project_dir: Path, name: str, source: str) -> NewEnvironment:
    raw = loader.load(project_dir)
    data = raw.registry.data
    if data is None or not isinstance(data.get("environments"), dict):
        raise UsageError(f"{REGISTRY_FILE}: fix the registry first (template-gen validate)")
    environments: dict[str, Any] = data["environments"]
    invalid = naming.check_environment_name(name)
    if invalid:
        raise UsageError(invalid)
    if name in environments:
        raise UsageError(f"environment '{name}' already exists in {REGISTRY_FILE}")
    if source not in environments:
        raise UsageError(f"--from {source}: no environment named '{source}' (defined: {', '.join(environments)})")
    registry_text = (project_dir / REGISTRY_FILE).read_text(encoding="utf-8")
    new_registry = yaml_edit.copy_entry(registry_text, ["environments"], source, name, REGISTRY_FILE)
    result = NewEnvironment(name, source, "copied", notes=_notes(raw, environments[source], source, name))

    config_path = project_dir / SAMCONFIG
    config_text = config_path.read_text(encoding="utf-8") if config_path.is_file() else ""
    config = tomllib.loads(config_text) if config_text else {}
    new_config = config_text
    if isinstance(config.get(name), dict):
        result.samconfig = "kept"
    else:
        sections = copy_sections(config_text, source, name)
        if not sections:
            result.samconfig = "generated"
            platform = str(data.get("platform", ""))
            region = str(environments[source].get("region") or data.get("region", ""))
            stack = naming.stack_name(platform, name)
            sections = SECTIONS.format(env=name, stack=stack, region=region, platform=platform)
        prefix = config_text.rstrip("\n") + "\n\n" if config_text.strip() else "version = 0.1\n\n"
        new_config = prefix + sections
    problems = samconfig_rules.problems(tomllib.loads(new_config), [*environments, name], [name])
    found = sorted(problems)
    if found:
        raise RegistryError(found)

    tx = FileTransaction(project_dir)
    try:
        tx.replace(REGISTRY_FILE, new_registry)
        if new_config != config_text:
            if config_path.is_file():
                tx.replace(SAMCONFIG, new_config)
            else:
                tx.create(SAMCONFIG, new_config)
        result.synthesized, notes = check_project(project_dir, [name])
    except BaseException:
        tx.rollback()
        raise
    result.notes += notes
    return result


def _notes(raw: loader.RawRegistry, env: dict[str, Any], source: str, name: str) -> list[str]:
    notes = []
    network: dict[str, Any] = env["network"] if isinstance(env.get("network"), dict) else {}
    if network.get("mode") == "create" and network.get("cidr"):
        notes.append(
            f"{name} creates a VPC with {source}'s CIDR ({network['cidr']}); give it its own if the two VPCs "
            "are ever peered or share a transit gateway"
        )
    elif network.get("mode") in ("existing", "lookup", "default"):
        notes.append(f"{name} uses {source}'s network ({network['mode']}); point it at its own VPC if it needs one")
    api: dict[str, Any] = env["api"] if isinstance(env.get("api"), dict) else {}
    if api.get("cloudwatch_role"):
        notes.append(
            f"api.cloudwatch_role: true is copied; the role is one setting per account and Region, so only one "
            f"environment of an account should set it (remove it from {name} if {source} shares its account)"
        )
    for service, source_file in sorted(raw.services.items()):
        overrides = (source_file.data or {}).get("environments") or {}
        if isinstance(overrides, dict) and source in overrides and name not in overrides:
            notes.append(
                f"{source_file.rel_path}: environments.{source} overrides settings of {service} for {source}; "
                f"{name} does not get them (copy them under environments.{name} if it should)"
            )
    return notes
