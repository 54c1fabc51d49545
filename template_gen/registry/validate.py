"""Validate the whole registry once, up front, and report every problem with its file and field path.

Input: the parsed files (`loader.RawRegistry`). Output: `ValidRegistry`, the registry with defaults and
per-environment overrides applied, known good. Nothing downstream raises a user-facing validation error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from template_gen import naming, route_table
from template_gen.errors import RegistryError, UsageError
from template_gen.registry import loader, rule_set, versions
from template_gen.registry.context import EnvironmentContext, ServiceContext
from template_gen.registry.entries import AnyService, EnvironmentEntry, Problems, ServiceEntry, ValidRegistry, report
from template_gen.registry.loader import REGISTRY_FILE, RawRegistry
from template_gen.registry.models import (
    Registry,
    Service,
)
from template_gen.registry.overrides import FIXED_KEYS, deep_merge, touches
from template_gen.registry.pydantic_errors import did_you_mean, problems_from

SERVICE_ADAPTER: TypeAdapter[AnyService] = TypeAdapter(Service)


def load_registry(project_dir: Path, environments: Sequence[str] | None = None) -> ValidRegistry:
    """Read the registry files of a project and validate them (what every command starts with)."""
    return validate(loader.load(project_dir), environments)


def validate(raw: RawRegistry, environments: Sequence[str] | None = None) -> ValidRegistry:
    """Validate the registry for `environments` (all of them when None); raise RegistryError listing
    every problem."""
    # A format this template-gen does not know is refused first, as one problem, not field by field.
    found = versions.problem(raw.registry.data) if raw.registry.data is not None else None
    if found is not None:
        raise RegistryError([found])
    problems = Problems()
    registry = _registry(raw, problems)
    base_services = _services(raw, registry, problems)
    if registry is None:
        raise RegistryError(problems.items)

    wanted = list(registry.environments) if environments is None else list(dict.fromkeys(environments))
    entries: dict[str, EnvironmentEntry] = {}
    for env_name in wanted:
        if env_name not in registry.environments:
            known = ", ".join(registry.environments)
            problems.add(
                REGISTRY_FILE,
                "environments",
                f"no environment named '{env_name}' (defined: {known})",
                did_you_mean(env_name, registry.environments),
            )
            continue
        entries[env_name] = _environment(raw, registry, env_name, base_services, problems)
    if problems.items:
        raise RegistryError(problems.items)
    files = {name: file for name, (file, _data, _model) in base_services.items()}
    return ValidRegistry(raw.project_dir, registry, entries, files)


def check_environment(env: str, known: Sequence[str]) -> None:
    """Refuse `--env ENV` when the registry does not define it, naming the closest environment that it does."""
    if env not in known:
        hint = did_you_mean(env, known)
        raise UsageError(
            f"--env {env}: no environment named '{env}' (defined: {', '.join(known)})" + (f"; {hint}" if hint else "")
        )


# --------------------------------------------------------------------------------------------------
# registry.yaml
# --------------------------------------------------------------------------------------------------


def _registry(raw: RawRegistry, problems: Problems) -> Registry | None:
    source = raw.registry
    if source.problem or source.data is None:  # the loader gives either the data or the problem
        problems.extend([source.problem] if source.problem else [])
        return None
    data = _with_defaults(source.data)
    try:
        registry = Registry.model_validate(data)
    except ValidationError as exc:
        seen: set[tuple[str, str]] = set()
        for problem in problems_from(exc, Registry, data, REGISTRY_FILE):
            path = _blame_defaults(problem.path, source.data)
            if (path, problem.message) not in seen:  # a bad default fails every environment the same way
                seen.add((path, problem.message))
                problems.add(REGISTRY_FILE, path, problem.message, problem.hint)
        return None
    message = naming.check_platform_name(registry.platform)
    if message:
        problems.add(REGISTRY_FILE, "platform", message)
    for env_name in registry.environments:
        message = naming.check_environment_name(env_name)
        if message:
            problems.add(REGISTRY_FILE, ("environments", env_name), message)
    return registry


def _with_defaults(data: dict[str, Any]) -> dict[str, Any]:
    """The registry with `defaults:` merged under every environment, so that each environment is
    validated as it takes effect (a field may come from either side)."""
    defaults, environments = data.get("defaults"), data.get("environments")
    if not (defaults and isinstance(defaults, Mapping) and isinstance(environments, Mapping)):
        return data
    merged = {
        name: deep_merge(defaults, env) if isinstance(env, Mapping) else env for name, env in environments.items()
    }
    return {**data, "environments": merged}


def _blame_defaults(path: str, data: dict[str, Any]) -> str:
    """`environments.<env>.<field>` becomes `defaults.<field>` when the value came from `defaults:`."""
    parts = path.split(".", 2)
    if len(parts) < 3 or parts[0] != "environments":
        return path
    env_raw = (data.get("environments") or {}).get(parts[1])
    field = _path_parts(parts[2])
    if touches(env_raw if isinstance(env_raw, Mapping) else None, field) or not touches(data.get("defaults"), field):
        return path
    return f"defaults.{parts[2]}"


def _path_parts(path: str) -> list[str]:
    """`api.cors.allow_origins[0]` -> ['api', 'cors', 'allow_origins', '0'] (as `touches` walks it)."""
    return path.replace("[", ".").replace("]", "").split(".")


# --------------------------------------------------------------------------------------------------
# service.yaml files
# --------------------------------------------------------------------------------------------------


def _services(
    raw: RawRegistry, registry: Registry | None, problems: Problems
) -> dict[str, tuple[str, dict[str, Any], AnyService]]:
    """Every service file validated on its own (no environment applied)."""
    known_envs = list(registry.environments) if registry else None
    valid: dict[str, tuple[str, dict[str, Any], AnyService]] = {}
    logical_ids: dict[str, str] = {}
    for folder, source in raw.services.items():
        file = source.rel_path
        data = source.data
        if source.problem or data is None:  # the loader gives either the data or the problem
            problems.extend([source.problem] if source.problem else [])
            continue
        message = naming.check_service_name(folder)
        if message:
            problems.add(file, "name" if "name" in data else "", f"folder name {message}")
            continue
        if "name" in data and data["name"] != folder:
            problems.add(
                file,
                "name",
                f"'{data['name']}' does not match the folder name '{folder}'",
                hint=f"rename the folder or set name: {folder}",
            )
            continue
        lid = naming.logical_id(folder)
        if lid in logical_ids:
            problems.add(
                file,
                "name",
                f"'{folder}' and '{logical_ids[lid]}' both become the logical ID '{lid}'",
                hint="rename one of the services",
            )
            continue
        logical_ids[lid] = folder
        try:
            model = SERVICE_ADAPTER.validate_python(data)
        except ValidationError as exc:
            problems.extend(problems_from(exc, Service, data, file))
            continue
        for env_name, override in model.environments.items():
            if known_envs is not None and env_name not in known_envs:
                problems.add(
                    file,
                    ("environments", env_name),
                    f"unknown environment (defined in {REGISTRY_FILE}: {', '.join(known_envs)})",
                    did_you_mean(env_name, known_envs),
                )
            for key in FIXED_KEYS:
                if key in override:
                    problems.add(file, ("environments", env_name, key), "cannot be changed per environment")
        valid[folder] = (file, data, model)
    return valid


def _merged_service(
    name: str, file: str, data: dict[str, Any], model: AnyService, env_name: str, problems: Problems
) -> ServiceEntry | None:
    override = model.environments.get(env_name) or {}
    if not override:
        return ServiceEntry(name, file, model, {})
    if any(key in override for key in FIXED_KEYS):
        return None  # already reported
    merged = deep_merge({k: v for k, v in data.items() if k != "environments"}, override)
    try:
        merged_model = SERVICE_ADAPTER.validate_python(merged)
    except ValidationError as exc:
        # The file is valid without the override, so the override is what must change, even when the
        # field at fault is one it does not set (e.g. `api.exposure: public` without an `api.base_path`).
        for problem in problems_from(exc, Service, merged, file):
            problems.add(file, f"environments.{env_name}.{problem.path}", problem.message, problem.hint)
        return None
    return ServiceEntry(name, file, merged_model, override)


def _environment(
    raw: RawRegistry,
    registry: Registry,
    env_name: str,
    base_services: Mapping[str, tuple[str, dict[str, Any], AnyService]],
    problems: Problems,
) -> EnvironmentEntry:
    env = registry.environments[env_name]
    env_path = ("environments", env_name)
    region = registry.region_of(env_name)
    settings_ctx = EnvironmentContext(env, env_name, region, raw.project_dir)
    for rule in rule_set.of_scope("environment"):
        for finding in rule.check(settings_ctx):
            problems.add(REGISTRY_FILE, env_path + finding.path, finding.message, finding.hint)

    entries: list[ServiceEntry] = []
    seen: set[str] = set()
    defined = sorted(base_services)
    for index, name in enumerate(env.services):
        where = (*env_path, "services", index)
        if name in seen:
            problems.add(REGISTRY_FILE, where, f"service '{name}' is listed twice")
            continue
        seen.add(name)
        if name not in base_services:
            if name in raw.services:
                continue  # defined but invalid: its own file's problems say why
            problems.add(
                REGISTRY_FILE,
                where,
                f"service '{name}' is enabled but not defined (no services/{name}/service.yaml)",
                did_you_mean(name, defined) or f"create it with: template-gen new-service {name} --kind ecs|lambda",
            )
            continue
        file, data, model = base_services[name]
        entry = _merged_service(name, file, data, model, env_name, problems)
        if entry is None:
            continue
        service_ctx = ServiceContext(entry, env, env_name, raw.project_dir)
        for rule in rule_set.of_scope("service"):
            for finding in rule.check(service_ctx):
                report(problems, entry, env_name, finding)
        entries.append(entry)

    entries.sort(key=lambda e: e.name)
    routes = route_table.for_environment(env, entries)
    env_ctx = EnvironmentContext(
        env,
        env_name,
        region,
        raw.project_dir,
        tuple(entries),
        routes,
        registry,
        frozenset(base_services),
        frozenset(raw.services),
    )
    for rule in rule_set.of_scope("cross-service"):
        for finding in rule.check(env_ctx):
            if finding.service is not None:
                report(problems, finding.service, env_name, finding)
            else:
                problems.add(REGISTRY_FILE, env_path + finding.path, finding.message, finding.hint)
    return EnvironmentEntry(env_name, env, tuple(entries))


__all__ = ["EnvironmentEntry", "ServiceEntry", "ValidRegistry", "validate"]
