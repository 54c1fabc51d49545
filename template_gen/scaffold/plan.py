"""Decide what `new-service` writes: check the name, the flags and the registry, and choose a listener
priority and a base path that no other service uses."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from template_gen import naming
from template_gen.errors import UsageError
from template_gen.registry import paths
from template_gen.registry.loader import RawRegistry
from template_gen.registry.overrides import deep_merge
from template_gen.registry.validate import ValidRegistry, check_environment

PRIORITY_STEP = 10
PRIORITY_MAX = 49999
DEFAULT_PORT = 8080
FUNCTION_TESTS = "tests/functional/functions"


@dataclass(frozen=True)
class Plan:
    name: str
    kind: str
    base_path: str
    port: int | None  # ecs only
    priority: int | None  # ecs only
    auth: str
    environments: tuple[str, ...]
    code_dir: str | None  # lambda only: functions/<name_with_underscores>
    notes: tuple[str, ...] = ()

    @property
    def service_file(self) -> str:
        return f"services/{self.name}/service.yaml"

    @property
    def module(self) -> str:
        return self.name.replace("-", "_")

    @property
    def test_file(self) -> str:
        return function_test_file(self.name)


def function_test_file(name: str) -> str:
    """Where new-service writes a Lambda service's test."""
    return f"{FUNCTION_TESTS}/test_{name.replace('-', '_')}.py"


@dataclass(frozen=True)
class Route:
    """One existing service's claim on the URL space: an API base path or an ALB path pattern."""

    owner: str
    file: str
    pattern: str


def check_name(name: str, raw: RawRegistry, project_dir: Path) -> None:
    message = naming.check_service_name(name)
    if message:
        raise UsageError(message)
    if (project_dir / "services" / name).exists():
        raise UsageError(f"services/{name} already exists; choose another name or edit services/{name}/service.yaml")
    logical = naming.logical_id(name)
    for other in sorted(raw.services):
        if naming.check_service_name(other) is None and naming.logical_id(other) == logical:
            raise UsageError(
                f"'{name}' and '{other}' both become the logical ID '{logical}'; choose another service name"
            )


def check_environments(requested: Sequence[str] | None, valid: ValidRegistry) -> tuple[str, ...]:
    known = list(valid.registry.environments)
    if not requested:
        return tuple(known)
    for env in requested:
        check_environment(env, known)
    return tuple(dict.fromkeys(requested))


def check_port(kind: str, port: int | None) -> int | None:
    if kind != "ecs":
        if port is not None:
            raise UsageError("--port applies to --kind ecs only (a Lambda service has no container port)")
        return None
    if port is None:
        return DEFAULT_PORT
    if not 1 <= port <= 65535:
        raise UsageError(f"--port {port}: must be between 1 and 65535")
    return port


def _effective_documents(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The service file as written and with each environment's override merged over it."""
    yield data
    overrides = data.get("environments")
    if isinstance(overrides, dict):
        for override in overrides.values():
            if isinstance(override, dict):
                yield deep_merge({k: v for k, v in data.items() if k != "environments"}, override)


def existing_routes(raw: RawRegistry) -> list[Route]:
    """Every base path (as the ALB patterns it implies) and explicit ALB pattern of every service, in
    every environment, whether enabled or not: a new service must not collide with any of them."""
    routes: list[Route] = []
    for owner, source in sorted(raw.services.items()):
        if source.data is None:
            continue
        for doc in _effective_documents(source.data):
            api, alb = doc.get("api"), doc.get("alb")
            base = api.get("base_path") if isinstance(api, dict) else None
            explicit = alb.get("path_patterns") if isinstance(alb, dict) and doc.get("kind") == "ecs" else None
            patterns = [p for p in explicit if isinstance(p, str)] if isinstance(explicit, list) else []
            if isinstance(base, str):
                patterns += list(paths.default_alb_patterns(base))
            # Paths of `api.routes` too; not the root route, which every other service's path takes precedence over.
            listed = api.get("routes") if isinstance(api, dict) else None
            for route in listed if isinstance(listed, list) else []:
                path = route.get("path") if isinstance(route, dict) else None
                if isinstance(path, str) and path != "/":
                    patterns += list(paths.default_alb_patterns(path))
            routes += [Route(owner, source.rel_path, p) for p in dict.fromkeys(patterns)]
    return routes


def route_conflict(base_path: str, routes: Sequence[Route]) -> tuple[Route, str, str] | None:
    """The first existing route that shares a path with `base_path` and `base_path/*`: (route, the new
    pattern, a path both match)."""
    for mine in paths.default_alb_patterns(base_path):
        for route in routes:
            witness = paths.overlap(mine, route.pattern)
            if witness is not None:
                return route, mine, witness
    return None


def choose_path(name: str, given: str | None, routes: Sequence[Route]) -> tuple[str, str | None]:
    """(base path, a note when the default had to be adjusted). A given path is never adjusted."""
    if given is not None:
        problem = paths.check_base_path(given)
        if problem:
            raise UsageError(f"--path {given}: {problem}")
        conflict = route_conflict(given, routes)
        if conflict:
            route, mine, witness = conflict
            raise UsageError(
                f"--path {given}: '{mine}' overlaps '{route.pattern}' of {route.file} (both match '{witness}'); "
                "choose a path no other service uses"
            )
        return given, None
    default = f"/{name}"
    for candidate in [default] + [f"{default}-{n}" for n in range(2, 10)]:
        conflict = route_conflict(candidate, routes)
        if conflict is None:
            if candidate == default:
                return candidate, None
            return candidate, f"{default} overlaps a route of another service; using {candidate} (or pass --path)"
        first = conflict
    route, _mine, witness = first
    raise UsageError(
        f"no free base path for '{name}': {default} overlaps '{route.pattern}' of {route.file} "
        f"(both match '{witness}'); pass --path"
    )


def used_priorities(raw: RawRegistry) -> set[int]:
    used: set[int] = set()
    for source in raw.services.values():
        for doc in _effective_documents(source.data or {}):
            alb = doc.get("alb")
            if isinstance(alb, dict) and isinstance(alb.get("priority"), int):
                used.add(alb["priority"])
    return used


def next_priority(used: set[int]) -> int:
    """The next multiple of 10 above the highest priority in use (in any environment), so that a
    service can later be slotted in between; the lowest free number when that would pass 49999."""
    candidate = (max(used, default=0) // PRIORITY_STEP + 1) * PRIORITY_STEP
    if candidate <= PRIORITY_MAX:
        return candidate
    free = next((p for p in range(1, PRIORITY_MAX + 1) if p not in used), None)
    if free is None:
        raise UsageError(f"every ALB listener priority from 1 to {PRIORITY_MAX} is in use")
    return free


def choose_auth(valid: ValidRegistry, environments: Sequence[str]) -> str:
    """The key-checking mode the public API already uses (an API has one API key source); for the first
    keyed service, `authorizer` (the platform's API key validator) where every chosen environment runs it."""
    modes = {
        s.model.api.auth
        for env in environments
        for s in valid.environments[env].services
        if s.model.api.exposure in ("public", "both") and s.model.api.auth in ("api_key", "authorizer")
    }
    if "api_key" in modes:
        return "api_key"
    if "authorizer" in modes:
        return "authorizer"
    for env in environments:
        if not valid.environments[env].model.platform_functions.api_key_validator.enabled:
            return "api_key"
    return "authorizer"


def auth_note(valid: ValidRegistry, environments: Sequence[str], auth: str) -> str | None:
    """Say so when the new service does not get the platform's default (`authorizer`) because the API key
    validator is disabled: an auth mode never changes silently."""
    if auth != "api_key" or any(
        s.model.api.auth == "api_key" for env in environments for s in valid.environments[env].services
    ):
        return None
    off = [
        env for env in environments if not valid.environments[env].model.platform_functions.api_key_validator.enabled
    ]
    if not off:
        return None
    return (
        f"api.auth is api_key, not authorizer: the platform's API key validator is disabled in environment "
        f"{', '.join(repr(e) for e in off)} (enable platform_functions.api_key_validator there to use it)"
    )


def make_plan(
    project_dir: Path,
    raw: RawRegistry,
    valid: ValidRegistry,
    name: str,
    kind: str,
    path: str | None = None,
    port: int | None = None,
    environments: Sequence[str] | None = None,
) -> Plan:
    check_name(name, raw, project_dir)
    if kind not in ("ecs", "lambda"):
        raise UsageError(f"--kind {kind}: expected ecs or lambda")
    envs = check_environments(environments, valid)
    port = check_port(kind, port)
    code_dir = naming.code_dir_for(name) if kind == "lambda" else None
    if code_dir and (project_dir / code_dir).exists():
        raise UsageError(f"{code_dir} already exists; choose another name or remove the folder")
    plan_test = function_test_file(name)
    if kind == "lambda" and (project_dir / plan_test).exists():
        raise UsageError(f"{plan_test} already exists; choose another name or remove the file")
    base_path, note = choose_path(name, path, existing_routes(raw))
    priority = next_priority(used_priorities(raw)) if kind == "ecs" else None
    auth = choose_auth(valid, envs)
    notes = tuple(n for n in (note, auth_note(valid, envs, auth)) if n)
    return Plan(
        name=name,
        kind=kind,
        base_path=base_path,
        port=port,
        priority=priority,
        auth=auth,
        environments=envs,
        code_dir=code_dir,
        notes=notes,
    )
