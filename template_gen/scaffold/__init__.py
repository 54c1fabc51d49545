"""`template-gen new-service`: a new service's files, its registry entries, and proof that the registry
still validates and synthesizes, or no change at all."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from template_gen import lookup, pipeline
from template_gen.errors import LookupFailed
from template_gen.project_files import yaml_edit
from template_gen.project_files.transaction import FileTransaction
from template_gen.registry import loader
from template_gen.registry.loader import REGISTRY_FILE, RawRegistry
from template_gen.registry.models import EcsService, LambdaService
from template_gen.registry.validate import validate
from template_gen.scaffold import service_file, templates
from template_gen.scaffold.plan import Plan, make_plan


@dataclass
class ScaffoldResult:
    plan: Plan
    written: list[str] = field(default_factory=list)  # new files, relative to the project
    registry_environments: list[str] = field(default_factory=list)  # where the service was added
    synthesized: list[str] = field(default_factory=list)  # environments synthesized as a check
    notes: list[str] = field(default_factory=list)


def render_files(plan: Plan) -> dict[str, str]:
    """The new files of a plan, by path relative to the project."""
    values = {
        "name": plan.name,
        "base_path": plan.base_path,
        "auth": plan.auth,
        "port": str(plan.port),
        "priority": str(plan.priority),
        "health_path": f"{plan.base_path}/health",
        "code_dir": plan.code_dir or "",
        "module": plan.module,
    }
    if plan.kind == "ecs":
        return {plan.service_file: service_yaml(plan)}
    assert plan.code_dir is not None
    return {
        plan.service_file: service_yaml(plan),
        f"{plan.code_dir}/app.py": templates.LAMBDA_APP.substitute(values),
        plan.test_file: templates.LAMBDA_TEST.substitute(values),
    }


def service_yaml(plan: Plan) -> str:
    """The service file, generated from the models: every field, described, with its default."""
    chosen: dict[tuple[str, ...], Any] = {
        ("kind",): plan.kind,
        ("name",): plan.name,
        ("api", "exposure"): "public",
        ("api", "base_path"): plan.base_path,
        ("api", "auth"): plan.auth,
    }
    if plan.kind == "ecs":
        chosen |= {("port",): plan.port, ("alb", "priority"): plan.priority}
        chosen[("health_check", "path")] = f"{plan.base_path}/health"
        header = templates.ECS_HEADER.substitute(name=plan.name, base_path=plan.base_path)
        return service_file.render(EcsService, chosen, header)
    header = templates.LAMBDA_HEADER.substitute(name=plan.name, base_path=plan.base_path, code_dir=plan.code_dir)
    return service_file.render(LambdaService, chosen, header)


def enable_in_registry(
    text: str, name: str, environments: Sequence[str], data: dict[str, Any]
) -> tuple[str, list[str]]:
    """Add `name` to each environment's `services:` (where it is not listed yet), keeping the file as it is."""
    added = []
    for env in environments:
        listed = (data.get("environments") or {}).get(env, {}).get("services") or []
        if name in listed:
            continue
        text = yaml_edit.append_to_list(text, ["environments", env, "services"], name, REGISTRY_FILE)
        added.append(env)
    return text, added


def _without(raw: RawRegistry, name: str) -> RawRegistry:
    """The registry minus `name` in the environments' service lists: enabling a service before defining it
    is a problem that new-service itself fixes, so it must not stop it."""
    data = raw.registry.data
    if data is None or not isinstance(data.get("environments"), dict):
        return raw
    data = copy.deepcopy(data)
    for env in data["environments"].values():
        if isinstance(env, dict) and isinstance(env.get("services"), list):
            env["services"] = [s for s in env["services"] if s != name]
    return replace(raw, registry=replace(raw.registry, data=data))


# The check never asks AWS: an environment whose network lookup is not cached is left to `synth`.
_offline = lookup.offline("the check never asks AWS")


def check_project(project_dir: Path, environments: Sequence[str]) -> tuple[list[str], list[str]]:
    """Validate every environment and synthesize the given ones in memory (nothing is written: not the
    build, not the placement). Returns the environments synthesized and notes about those that could not
    be (uncached network lookups)."""
    valid = pipeline.load_registry(project_dir)
    done, notes = [], []
    for env in environments:
        try:
            pipeline.synthesize(project_dir, env, valid=valid, ec2_client_factory=_offline)
        except LookupFailed:
            notes.append(
                f"{env}: not synthesized as a check, its network lookup is not cached; "
                f"run `template-gen synth --env {env}` with AWS credentials"
            )
            continue
        done.append(env)
    return done, notes


def new_service(
    project_dir: Path,
    name: str,
    kind: str,
    path: str | None = None,
    port: int | None = None,
    environments: Sequence[str] | None = None,
) -> ScaffoldResult:
    raw = loader.load(project_dir)
    valid = validate(_without(raw, name))  # a registry that is already broken is fixed first
    plan = make_plan(project_dir, raw, valid, name, kind, path, port, environments)
    result = ScaffoldResult(plan, notes=list(plan.notes))
    registry_text = (project_dir / REGISTRY_FILE).read_text(encoding="utf-8")
    assert raw.registry.data is not None
    new_registry, result.registry_environments = enable_in_registry(
        registry_text, name, plan.environments, raw.registry.data
    )
    files = render_files(plan)

    tx = FileTransaction(project_dir)
    try:
        for rel, text in files.items():
            tx.create(rel, text)
            result.written.append(rel)
        if new_registry != registry_text:
            tx.replace(REGISTRY_FILE, new_registry)
        result.synthesized, notes = check_project(project_dir, plan.environments)
    except BaseException:
        tx.rollback()
        raise
    result.notes += notes
    return result


__all__ = ["Plan", "ScaffoldResult", "new_service", "render_files"]
