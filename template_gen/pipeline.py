"""The one pipeline: load -> apply overrides -> validate -> specs -> render -> check quotas -> write.

Data flows one way. Nothing is written unless every step succeeded, and the output folder is replaced
in one rename, so a failed synth leaves the previous build exactly as it was.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from template_gen import costs, lookup, placement, quotas, render
from template_gen.errors import Problem, RegistryError, UsageError
from template_gen.registry import loader
from template_gen.registry.models import NetworkDefault, NetworkLookup
from template_gen.registry.validate import ValidRegistry, validate
from template_gen.spec import EnvironmentSpec, environment_spec
from template_gen.stacks import api, compute, network, root
from template_gen.stacks.common import Stage
from template_gen.stacks.compute import RenderContext

ROOT_FILE = "template.yaml"


@dataclass(frozen=True)
class RenderedStack:
    file_name: str
    logical_id: str  # "" for the root
    text: str
    resources: int
    parameters: int
    outputs: int

    @property
    def size(self) -> int:
        return len(self.text.encode("utf-8"))

    def usage(self) -> list[quotas.Usage]:
        return quotas.template_usage(self.file_name, self.resources, self.parameters, self.outputs, self.size)


@dataclass
class SynthResult:
    environment: str
    out_dir: Path
    stacks: list[RenderedStack]
    spec: EnvironmentSpec
    warnings: list[str] = field(default_factory=list)
    looked_up: bool = False
    extra_files: dict[str, str] = field(default_factory=dict)
    placement_written: bool = False
    wave: int | None = None
    wave_count: int = 1
    created: int | None = None  # resources a wave creates on top of the previous waves


def load_registry(project_dir: Path, environments: Sequence[str] | None = None) -> ValidRegistry:
    return validate(loader.load(project_dir), environments)


def build_stages(spec: EnvironmentSpec, ctx: RenderContext) -> list[Stage]:
    """Every nested stack of an environment, in deployment order."""
    # An environment with nothing exposed has no API stage; large ones have several compute and API stacks.
    return [network.build(spec), *compute.build(spec, ctx), *api.build(spec)]


def resolve_spec(
    valid: ValidRegistry,
    env_name: str,
    refresh_lookups: bool = False,
    image_tags: Mapping[str, str] | None = None,
    ec2_client_factory: Callable[[str], Any] | None = None,
) -> tuple[EnvironmentSpec, bool]:
    entry = valid.environments[env_name]
    net = entry.model.network
    resolved, looked_up = None, False
    if isinstance(net, NetworkLookup | NetworkDefault):
        resolved, looked_up = lookup.resolve(
            valid.project_dir, env_name, net, valid.registry.region_of(env_name), refresh_lookups, ec2_client_factory
        )
    _check_image_tags(valid, env_name, image_tags or {})
    spec = environment_spec(valid, env_name, resolved, image_tags)
    # Stable placement: services keep their shard, ALB and route stack across syntheses.
    spec = dataclasses.replace(spec, placement=costs.plan(spec, placement.read(valid.project_dir, env_name)))
    return spec, looked_up


def _check_image_tags(valid: ValidRegistry, env_name: str, image_tags: Mapping[str, str]) -> None:
    enabled = {s.name: s for s in valid.environments[env_name].services}
    for name in image_tags:
        if name not in enabled:
            where = "is not enabled in" if name in valid.all_services else "is not a service of"
            raise UsageError(f"--image-tag {name}=...: '{name}' {where} environment '{env_name}'")
        if enabled[name].model.kind == "lambda":
            raise UsageError(f"--image-tag {name}=...: '{name}' is a Lambda service; image tags apply to ECS services")


def render_stacks(spec: EnvironmentSpec, ctx: RenderContext) -> tuple[list[RenderedStack], dict[str, str]]:
    """The rendered templates (root first) and the extra files the stages need beside them."""
    stages = build_stages(spec, ctx)
    root_builder = root.build(spec, stages)
    out = [_render(ROOT_FILE, "", root_builder.template.to_dict())]
    out += [_render(stage.file_name, stage.logical_id, stage.template.to_dict()) for stage in stages]
    files = {name: text for stage in stages for name, text in stage.files.items()}
    return out, files


def _render(file_name: str, logical_id: str, template: dict[str, Any]) -> RenderedStack:
    return RenderedStack(
        file_name=file_name,
        logical_id=logical_id,
        text=render.to_yaml(template),
        resources=quotas.transformed_resource_count(template),
        parameters=len(template.get("Parameters", {})),
        outputs=len(template.get("Outputs", {})),
    )


def wave_spec(spec: EnvironmentSpec, wave: int) -> EnvironmentSpec:
    """The environment as deployed by waves 1..`wave`: only the services of those waves' compute shards."""
    plan = costs.waves(spec)
    if not 1 <= wave <= len(plan):
        raise UsageError(f"--wave {wave}: environment '{spec.name}' deploys in {len(plan)} wave(s), 1..{len(plan)}")
    shards = {shard for group in plan[:wave] for shard in group}
    services = tuple(s for s in spec.services if spec.placement.compute_shard_of(s.name) in shards)
    return dataclasses.replace(spec, services=services)


def operation_warning(spec: EnvironmentSpec, stacks: Sequence[RenderedStack]) -> str | None:
    total = sum(s.resources for s in stacks)
    limit = quotas.CFN_NESTED_OPERATION.limit
    if total <= limit:
        return None
    count = len(costs.waves(spec))
    return (
        f"environment '{spec.name}' has {total:,} resources across {len(stacks)} stacks; one CloudFormation "
        f"operation creates at most {limit:,}. Deploy it the first time in {count} waves: run "
        f"`template-gen synth --env {spec.name} --wave N` then `sam build` and `sam deploy`, for N = 1..{count} "
        "(the last wave is this full synth); see docs/scaling.md"
    )


def check_quotas(env_name: str, stacks: Sequence[RenderedStack]) -> None:
    problems = [
        Problem(f"build/{env_name}/{stack.file_name}", "", quotas.exceeded_message(usage))
        for stack in stacks
        for usage in stack.usage()
        if usage.exceeded
    ]
    if problems:
        raise RegistryError(problems)


def synthesize(
    project_dir: Path,
    env_name: str,
    out_dir: Path | None = None,
    refresh_lookups: bool = False,
    image_tags: Mapping[str, str] | None = None,
    ec2_client_factory: Callable[[str], Any] | None = None,
    valid: ValidRegistry | None = None,
    wave: int | None = None,
) -> SynthResult:
    valid = valid or load_registry(project_dir, [env_name])
    full, looked_up = resolve_spec(valid, env_name, refresh_lookups, image_tags, ec2_client_factory)
    target = out_dir or project_dir / "build" / env_name
    context = RenderContext(project_dir.resolve(), target.resolve())
    spec = full if wave is None else wave_spec(full, wave)
    stacks, files = render_stacks(spec, context)
    check_quotas(env_name, stacks)
    warnings = list(spec.warnings)
    created = None
    if wave is None:
        warning = operation_warning(full, stacks)
        if warning:
            warnings.append(warning)
    else:
        created = _wave_resources(full, wave, stacks, context)
    write_atomically(target, {**files, **{stack.file_name: stack.text for stack in stacks}})
    placed = placement.write(project_dir, env_name, spec.placement)
    return SynthResult(
        env_name,
        target,
        stacks,
        spec,
        warnings,
        looked_up,
        files,
        placement_written=placed,
        wave=wave,
        wave_count=len(costs.waves(full)),
        created=created,
    )


def _wave_resources(full: EnvironmentSpec, wave: int, stacks: Sequence[RenderedStack], context: RenderContext) -> int:
    """What this wave creates on top of the previous one; it must fit one operation (the plan estimates)."""
    before = 0
    if wave > 1:
        before = sum(s.resources for s in render_stacks(wave_spec(full, wave - 1), context)[0])
    created = sum(s.resources for s in stacks) - before
    limit = quotas.CFN_NESTED_OPERATION.limit
    if created > limit:  # pragma: no cover - the plan keeps a margin; this guards the estimates
        raise RegistryError(
            [
                Problem(
                    f"build/{full.name}", "", f"wave {wave} would create {created:,} resources; the limit is {limit:,}"
                )
            ]
        )
    return created


def write_atomically(out_dir: Path, files: Mapping[str, str]) -> None:
    """Write every file into a fresh folder beside `out_dir`, then swap it into place."""
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; the build folder is an ordinary folder
    try:
        for name, text in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    backup = None
    if out_dir.exists():
        backup = parent / f".{out_dir.name}.old-{os.getpid()}"
        shutil.rmtree(backup, ignore_errors=True)
        os.rename(out_dir, backup)
    try:
        os.rename(staging, out_dir)
    except BaseException:
        if backup is not None:
            os.rename(backup, out_dir)
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
