"""samconfig.toml against the registry, both ways: every environment has sections whose template paths
are the ones `template-gen synth` and `sam build` use, and every section is for an environment of the
registry. Without them, `sam build --config-env ENV` fails with "Template file not found", or builds and
deploys another environment's templates."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from template_gen.errors import Problem
from template_gen.registry.loader import REGISTRY_FILE
from template_gen.samconfig import SAMCONFIG, read, section, setting

SAM_DEFAULT_BUILD_DIR = ".aws-sam/build"
_NOT_ENVIRONMENTS = ("version", "default")  # `default` is the SAM CLI's section when --config-env is not given


def synth_template(env_name: str) -> str:
    return f"build/{env_name}/template.yaml"


def problems(
    config: dict[str, Any], registry_envs: Sequence[str], checked: Sequence[str] | None = None
) -> Iterator[Problem]:
    """`checked`: the environments to check (default: all, and then the sections of unknown ones too)."""
    for env_name in checked if checked is not None else registry_envs:
        yield from _environment(config, env_name, registry_envs)
    if checked is not None:
        return
    for name, value in config.items():
        if name in _NOT_ENVIRONMENTS or name in registry_envs or not isinstance(value, dict):
            continue
        yield Problem(
            SAMCONFIG,
            name,
            f"sections for environment '{name}', which {REGISTRY_FILE} does not define",
            f"remove the [{name}.*] sections, or add the environment to the registry "
            f"(template-gen new-env {name} --from {registry_envs[0] if registry_envs else 'ENV'})",
        )


def _environment(config: dict[str, Any], env_name: str, registry_envs: Sequence[str]) -> Iterator[Problem]:
    if not isinstance(config.get(env_name), dict):
        others = [e for e in registry_envs if e != env_name and isinstance(config.get(e), dict)]
        source = others[0] if others else None
        hint = (
            f"copy the [{source}.*] sections and replace {source} with {env_name} in them"
            if source
            else f'add [{env_name}.build.parameters] with template_file = "{synth_template(env_name)}"'
        )
        yield Problem(
            SAMCONFIG,
            env_name,
            f"no sections for environment '{env_name}' of {REGISTRY_FILE}, so `sam build --config-env {env_name}` "
            'fails with "Template file not found"',
            hint,
        )
        return
    built = synth_template(env_name)
    yield from _expect(config, env_name, "build", built, f"where `template-gen synth --env {env_name}` writes")
    if setting(config, env_name, "template_file", command="validate") is not None:
        yield from _expect(config, env_name, "validate", built, f"where `template-gen synth --env {env_name}` writes")
    build_dir = str(setting(config, env_name, "build_dir", command="build") or SAM_DEFAULT_BUILD_DIR)
    for command in ("package", "deploy"):
        given = setting(config, env_name, "template_file", command=command)
        if given is None and build_dir == SAM_DEFAULT_BUILD_DIR:
            continue  # sam deploy finds the default build folder by itself
        yield from _expect(
            config, env_name, command, f"{build_dir}/template.yaml", f"where `sam build --config-env {env_name}` writes"
        )


def _expect(config: dict[str, Any], env_name: str, command: str, expected: str, why: str) -> Iterator[Problem]:
    given = setting(config, env_name, "template_file", command=command)
    if given == expected:
        return
    table = command if "template_file" in section(config, env_name, command) else "global"
    path = f"{env_name}.{table if given is not None else command}.parameters.template_file"
    found = f"is '{given}'" if given is not None else "is missing"
    yield Problem(SAMCONFIG, path, f"{found}; expected '{expected}' ({why})", f'set template_file = "{expected}"')


def check(
    project_dir: Path, registry_envs: Sequence[str], checked: Sequence[str] | None = None
) -> list[Problem] | None:
    """The problems, or None when the project has no samconfig.toml."""
    if not (project_dir / SAMCONFIG).is_file():
        return None
    return sorted(problems(read(project_dir), registry_envs, checked))
