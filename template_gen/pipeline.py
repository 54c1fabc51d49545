"""The one pipeline, in one direction and in memory until the end:

    registry files -> load + overrides -> validate -> Spec (with the route table) -> Layout (placement,
    waves; costs measured from the builders) -> Build (every stage, rendered text) -> Synthesis

Only `Synthesis.write()` touches the disk: it writes the build folder, the placement file and the network
lookup cache together, atomically, so a failed synth leaves all of them exactly as they were. Read-only
commands (diff, graph, services, the new-service check) run `plan()` and never write.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from template_gen import deployed_images, lookup, parallel, quotas
from template_gen.encode import template_dict
from template_gen.errors import Problem, RegistryError, UsageError
from template_gen.escape_hatches.apply import apply_to as apply_escape_hatches
from template_gen.layout import placement as placement_store
from template_gen.layout import planner
from template_gen.layout.planner import Layout
from template_gen.registry.models import NetworkDefault, NetworkLookup
from template_gen.registry.validate import ValidRegistry
from template_gen.registry.validate import load_registry as load_registry  # re-exported: commands import it here
from template_gen.render import to_yaml
from template_gen.spec import EnvironmentSpec, environment_spec
from template_gen.stacks import api, compute, network, observability, resolved, root
from template_gen.stacks.common import RenderContext, Stage, StageInfo

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


@dataclass(frozen=True)
class Build:
    """Every template of an environment, rendered (root first), and the files the stages need beside them."""

    stacks: tuple[RenderedStack, ...]
    files: Mapping[str, str]

    @property
    def resources(self) -> int:
        return sum(s.resources for s in self.stacks)

    def all_files(self) -> dict[str, str]:
        return {**self.files, **{stack.file_name: stack.text for stack in self.stacks}}


@dataclass(frozen=True)
class Resolved:
    """A validated environment, its network resolved: the input of layout and build."""

    spec: EnvironmentSpec  # not placed yet
    lookup_cache: str | None = None  # the lookup cache's new text, when AWS was asked for the network


@dataclass
class Synthesis:
    """Everything a synth produced, in memory; `write()` puts it on disk."""

    environment: str
    project_dir: Path
    out_dir: Path
    spec: EnvironmentSpec  # placed: as the builders saw it (only the wave's services with --wave)
    layout: Layout
    build: Build
    warnings: list[str] = field(default_factory=list)
    lookup_cache: str | None = None
    image_record: str | None = None  # the image record's new text, when --image-tag changed it
    store_placement: bool = True  # False with --out elsewhere (unless --update-placement)
    wave: int | None = None
    created: int | None = None  # resources a wave creates on top of the previous waves
    placement_written: bool = False  # set by write()
    image_record_written: bool = False  # set by write()

    @property
    def stacks(self) -> tuple[RenderedStack, ...]:
        return self.build.stacks

    @property
    def looked_up(self) -> bool:
        return self.lookup_cache is not None

    @property
    def wave_count(self) -> int:
        return len(self.layout.waves)

    @property
    def placement_file(self) -> str:
        return placement_store.relative_path(self.environment)

    def write(self) -> Synthesis:
        """The build folder, and with it the placement file and the lookup cache, or nothing at all."""
        side: dict[Path, str] = {}
        if self.store_placement and self.layout.changed:
            side[placement_store.path(self.project_dir, self.environment)] = self.layout.placement.to_json()
        if self.lookup_cache is not None:
            side[lookup.cache_path(self.project_dir, self.environment)] = self.lookup_cache
        if self.image_record is not None:
            side[self.project_dir / deployed_images.rel_path(self.environment)] = self.image_record
        write_atomically(self.out_dir, self.build.all_files(), side)
        self.placement_written = self.store_placement and self.layout.changed
        self.image_record_written = self.image_record is not None
        return self


def resolve(
    valid: ValidRegistry,
    env_name: str,
    refresh_lookups: bool = False,
    image_tags: Mapping[str, str] | None = None,
    ec2_client_factory: Callable[[str], Any] | None = None,
) -> Resolved:
    entry = valid.environments[env_name]
    net = entry.model.network
    resolved_vpc, cache = None, None
    if isinstance(net, NetworkLookup | NetworkDefault):
        resolved_vpc, cache = lookup.resolve(
            valid.project_dir, env_name, net, valid.registry.region_of(env_name), refresh_lookups, ec2_client_factory
        )
    _check_image_tags(valid, env_name, image_tags or {})
    # The image each service runs is recorded by publish and synth --image-tag; a flag overrides it.
    image_tags = {**deployed_images.recorded_tags(valid, env_name), **(image_tags or {})}
    return Resolved(environment_spec(valid, env_name, resolved_vpc, image_tags), cache)


def plan(resolved: Resolved, project_dir: Path, ctx: RenderContext | None = None) -> tuple[EnvironmentSpec, Layout]:
    """Place the environment's services (stable: services keep their shard, ALB and route stack)."""
    spec = resolved.spec
    ctx = ctx or RenderContext(project_dir)
    layout = planner.plan(spec, placement_store.read(project_dir, spec.name), ctx)
    return layout.apply(spec), layout


def placed_spec(
    valid: ValidRegistry,
    env_name: str,
    image_tags: Mapping[str, str] | None = None,
    ec2_client_factory: Callable[[str], Any] | None = None,
) -> EnvironmentSpec:
    """The environment as the builders see it: what read-only commands (graph, diff) work from."""
    return plan(resolve(valid, env_name, False, image_tags, ec2_client_factory), valid.project_dir)[0]


def _check_image_tags(valid: ValidRegistry, env_name: str, image_tags: Mapping[str, str]) -> None:
    enabled = {s.name: s for s in valid.environments[env_name].services}
    for name in image_tags:
        if name not in enabled:
            where = "is not enabled in" if name in valid.all_services else "is not a service of"
            raise UsageError(f"--image-tag {name}=...: '{name}' {where} environment '{env_name}'")
        if enabled[name].model.kind == "lambda":
            raise UsageError(f"--image-tag {name}=...: '{name}' is a Lambda service; image tags apply to ECS services")


def build_stages(spec: EnvironmentSpec, ctx: RenderContext) -> list[Stage]:
    """Every nested stack of an environment, in deployment order, built here (later stages read earlier ones)."""
    # An environment with nothing exposed has no API stage; large ones have several compute and API stacks.
    upstream = [network.build(spec), *compute.build(spec, ctx)]
    apis = api.ApiStages(spec)
    routes = apis.route_stacks()
    # The API deployment hashes what its parameters resolve to.
    values = {s.key: resolved.stage_values(s, spec.region) for s in (*upstream, *routes)} if spec.routes else {}
    stages = [*upstream, *routes, *apis.stage_stacks(routes, values)]
    return stages + [build() for build in observability.builders(spec, stages)]


def render(spec: EnvironmentSpec, ctx: RenderContext, jobs: int = 1) -> Build:
    """Build every stage of a placed spec and render it to text, in up to `jobs` processes besides this one
    (byte-identical to `jobs=1`; see `template_gen.parallel`)."""
    if not spec.escape_hatches:
        results = _render_in_parallel(spec, ctx, jobs)
        infos = [info for info, _, _ in results]
        files = {name: text for _, stage_files, _ in results for name, text in stage_files.items()}
        rendered = [stack for _, _, stack in results]
    else:
        # Patches and extra resources apply to the built templates, all of them at once (a patch may name any
        # stack), before any is rendered: rendered here, in this process.
        stages = build_stages(spec, ctx)
        templates = {stage.key: template_dict(stage.template) for stage in stages}
        apply_escape_hatches(spec, templates, {stage.key: stage.file_name for stage in stages})
        rendered = [_render(stage.file_name, stage.logical_id, templates[stage.key]) for stage in stages]
        infos = [stage.info() for stage in stages]
        files = {name: text for stage in stages for name, text in stage.files.items()}
    root_builder = root.build(spec, infos)
    out = [_render(ROOT_FILE, "", template_dict(root_builder.template)), *rendered]
    return Build(tuple(out), files)


Rendered = tuple[StageInfo, dict[str, str], RenderedStack]  # what the root needs, files beside it, its text


def _render_in_parallel(spec: EnvironmentSpec, ctx: RenderContext, jobs: int) -> list[Rendered]:
    """`build_stages`, rendered, in stage order. Workers build and render the compute shards after the first,
    each with its observability stack, and send back what their outputs resolve to; meanwhile this process
    builds and renders the network stack, the first compute shard, the API route stacks and the first
    observability stack, and then, with the workers' values in, the API stage."""
    region = spec.region
    net = network.build(spec)
    later = spec.placement.compute_shards[1:]
    shards = parallel.start(functools.partial(_shard, spec, ctx), later, jobs)
    first = compute.ComputeStage(spec, ctx, 1).build()
    apis = api.ApiStages(spec)
    routes = apis.route_stacks()
    watching = observability.builder(spec, [net, first, *routes], 1)()
    values: dict[str, resolved.StackValues] = {}
    mine: dict[str, Rendered] = {}
    for stage in (net, first, *routes, watching):
        template = template_dict(stage.template)
        if spec.routes and stage is not watching:
            values[stage.key] = resolved.stack_values(template, stage.parameter_values, region)
        mine[stage.key] = _rendered(stage, template)
    theirs = shards()
    for built, shard_values, _ in theirs:
        if shard_values is not None:
            values[built[0].key] = shard_values
    finals = apis.stage_stacks(routes, values)
    for stage in finals:
        mine[stage.key] = _rendered(stage, template_dict(stage.template))
    return [
        mine[net.key],
        mine[first.key],
        *(built for built, _, _ in theirs),
        *(mine[s.key] for s in (*routes, *finals, watching)),
        *(observed for _, _, observed in theirs),
    ]


def _shard(
    spec: EnvironmentSpec, ctx: RenderContext, shard: int
) -> tuple[Rendered, resolved.StackValues | None, Rendered]:
    """A compute shard after the first, rendered, with what its outputs resolve to (when there is an API to
    hash them), and its observability stack (which reads nothing else), rendered."""
    stage = compute.ComputeStage(spec, ctx, shard).build()
    template = template_dict(stage.template)
    values = resolved.stack_values(template, stage.parameter_values, spec.region) if spec.routes else None
    watching = observability.builder(spec, [stage], shard)()
    return _rendered(stage, template), values, _rendered(watching, template_dict(watching.template))


def _rendered(stage: Stage, template: dict[str, Any]) -> Rendered:
    return stage.info(), stage.files, _render(stage.file_name, stage.logical_id, template)


def _render(file_name: str, logical_id: str, template: dict[str, Any]) -> RenderedStack:
    return RenderedStack(
        file_name=file_name,
        logical_id=logical_id,
        text=to_yaml(template),
        resources=quotas.transformed_resource_count(template),
        parameters=len(template.get("Parameters", {})),
        outputs=len(template.get("Outputs", {})),
    )


def wave_spec(spec: EnvironmentSpec, layout: Layout, wave: int) -> EnvironmentSpec:
    """The environment as deployed by waves 1..`wave`: only the services of those waves' compute shards."""
    waves = layout.waves
    if not 1 <= wave <= len(waves):
        raise UsageError(f"--wave {wave}: environment '{spec.name}' deploys in {len(waves)} wave(s), 1..{len(waves)}")
    shards = {shard for group in waves[:wave] for shard in group}
    return spec.with_services(tuple(s for s in spec.services if spec.placement.compute_shard_of(s.name) in shards))


def operation_warning(spec: EnvironmentSpec, layout: Layout, build: Build) -> str | None:
    limit = quotas.CFN_NESTED_OPERATION.limit
    if build.resources <= limit:
        return None
    count = len(layout.waves)
    return (
        f"environment '{spec.name}' has {build.resources:,} resources across {len(build.stacks)} stacks; one "
        f"CloudFormation operation creates at most {limit:,}. Deploy it the first time in {count} waves: run "
        f"`template-gen synth --env {spec.name} --wave N` then `sam build` and `sam deploy`, for N = 1..{count} "
        "(the last wave is this full synth); see docs/scaling.md"
    )


def check_quotas(env_name: str, build: Build) -> None:
    problems = [
        Problem(f"build/{env_name}/{stack.file_name}", "", quotas.exceeded_message(usage))
        for stack in build.stacks
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
    update_placement: bool = False,
    jobs: int = 1,
) -> Synthesis:
    """Everything `synth` does but writing: call `write()` on the result to put it on disk."""
    valid = valid or load_registry(project_dir, [env_name])
    resolved = resolve(valid, env_name, refresh_lookups, image_tags, ec2_client_factory)
    ctx = RenderContext(project_dir)
    full, layout = plan(resolved, project_dir, ctx)
    default_out = project_dir / "build" / env_name
    target = out_dir or default_out
    spec = full if wave is None else wave_spec(full, layout, wave)
    build = render(spec, ctx, jobs)
    check_quotas(env_name, build)
    warnings = list(spec.warnings)
    created = None
    if wave is None:
        warning = operation_warning(full, layout, build)
        if warning:
            warnings.append(warning)
    else:
        created = _wave_resources(full, layout, wave, build, ctx, jobs)
    # The project's placement follows its own build folder; a build written elsewhere leaves it alone.
    elsewhere = out_dir is not None and out_dir.resolve() != default_out.resolve()
    return Synthesis(
        environment=env_name,
        project_dir=project_dir,
        out_dir=target,
        spec=spec,
        layout=layout,
        build=build,
        warnings=warnings,
        lookup_cache=resolved.lookup_cache,
        # --image-tag is recorded, so a later plain synth deploys the same image (not for a build elsewhere).
        image_record=None
        if elsewhere or not image_tags
        else deployed_images.updated_text(project_dir, env_name, {n: {"tag": t} for n, t in image_tags.items()}),
        store_placement=update_placement or not elsewhere,
        wave=wave,
        created=created,
    )


def _wave_resources(
    full: EnvironmentSpec, layout: Layout, wave: int, build: Build, ctx: RenderContext, jobs: int = 1
) -> int:
    """What this wave creates on top of the previous one; it must fit one operation (the plan estimates)."""
    before = render(wave_spec(full, layout, wave - 1), ctx, jobs).resources if wave > 1 else 0
    created = build.resources - before
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


def write_atomically(out_dir: Path, files: Mapping[str, str], side_files: Mapping[Path, str] | None = None) -> None:
    """Write every file into a fresh folder beside `out_dir`, then swap it into place. `side_files` (the
    placement file, the lookup cache) are staged beside their targets and replaced in the same step: if any
    replacement fails, the folder and every side file are put back as they were."""
    side_files = side_files or {}
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; the build folder is an ordinary folder
    staged: dict[Path, Path] = {}
    try:
        for name, text in sorted(files.items()):
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for target, text in sorted(side_files.items()):
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.new-{os.getpid()}")
            tmp.write_text(text, encoding="utf-8")
            staged[target] = tmp
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    backup = None
    if out_dir.exists():
        backup = parent / f".{out_dir.name}.old-{os.getpid()}"
        shutil.rmtree(backup, ignore_errors=True)
        os.rename(out_dir, backup)
    previous: dict[Path, str | None] = {}
    renamed = False
    try:
        os.rename(staging, out_dir)
        renamed = True
        for target, tmp in staged.items():
            previous[target] = target.read_text(encoding="utf-8") if target.is_file() else None
            os.replace(tmp, target)
    except BaseException:
        for target, before in previous.items():  # put back the side files already replaced
            if before is None:
                target.unlink(missing_ok=True)
            else:
                target.write_text(before, encoding="utf-8")
        shutil.rmtree(out_dir if renamed else staging, ignore_errors=True)
        if backup is not None:
            os.rename(backup, out_dir)
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
