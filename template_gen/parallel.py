"""Build and render an environment's nested stacks in parallel processes.

The stages fall into groups that are built independently of each other: the network stack, each compute
shard, and the API stacks (one group: its route stacks share the API cores). A worker builds one group and
sends back only rendered text and a `StageInfo` per stage, never troposphere objects; the root template is
built last, in the calling process, from those. The same functions build the same stages as in a serial
run, and results come back in group order, so the output is byte-identical (a test checks it).

On Linux the workers are forked and inherit the spec; where processes cannot be started (a sandbox
without semaphores, for instance) the groups are built one after another in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from template_gen.encode import template_dict
from template_gen.spec import EnvironmentSpec
from template_gen.stacks import api, compute, network
from template_gen.stacks.common import Stage, StageInfo
from template_gen.stacks.compute import RenderContext

T = TypeVar("T")
R = TypeVar("R")
Group = tuple[str, int]  # ("network", 0), ("compute", shard), ("api", 0)
Renderer = Callable[[str, str, dict[str, Any]], Any]  # (file name, logical id, template dict) -> rendered stack
Built = tuple[list[tuple[StageInfo, Any]], dict[str, str]]  # per stage (info, rendered), extra files

_state: tuple[EnvironmentSpec, RenderContext, Renderer] | None = None  # set in each worker by _start


def available_cpus() -> int:
    """CPUs this process may run on (the default of `synth --jobs`)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def map_in_order(
    job: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    initializer: Callable[..., None] | None = None,
    initargs: tuple[Any, ...] = (),
) -> list[R]:
    """`[job(item) for item in items]`, run by up to `jobs` worker processes, results in item order.

    `jobs <= 1`, a single item, or a platform where processes cannot start runs everything here. An
    exception raised by `job` is raised here, as in a serial run."""
    if jobs > 1 and len(items) > 1:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        try:
            with ProcessPoolExecutor(min(jobs, len(items)), context, initializer, initargs) as pool:
                return list(pool.map(job, items))
        except (OSError, BrokenProcessPool):
            pass  # no processes here (or a worker was killed): build serially, with the same result
    if initializer is not None:
        initializer(*initargs)
    return [job(item) for item in items]


def stage_groups(spec: EnvironmentSpec) -> list[Group]:
    """The groups of stages in deployment order: network, compute shards, API."""
    return [("network", 0), *(("compute", shard) for shard in spec.placement.compute_shards), ("api", 0)]


def build_group(spec: EnvironmentSpec, ctx: RenderContext, group: Group) -> list[Stage]:
    kind, shard = group
    if kind == "network":
        return [network.build(spec)]
    if kind == "compute":
        return [compute.ComputeStage(spec, ctx, shard).build()]
    # An environment with nothing exposed has no API stage.
    return api.build(spec)


def build_stages(spec: EnvironmentSpec, ctx: RenderContext) -> list[Stage]:
    """Every nested stack of an environment, in deployment order, built in this process."""
    return [stage for group in stage_groups(spec) for stage in build_group(spec, ctx, group)]


def build_and_render(spec: EnvironmentSpec, ctx: RenderContext, render: Renderer, jobs: int) -> Built:
    """Every nested stack, built and rendered by up to `jobs` processes: (info, rendered) per stage in
    deployment order, and the extra files the stages write beside the templates."""
    global _state
    try:
        groups = map_in_order(_render_group, stage_groups(spec), jobs, _start, (spec, ctx, render))
    finally:
        _state = None  # a serial run set it here
    stages = [pair for stages, _ in groups for pair in stages]
    files = {name: text for _, group_files in groups for name, text in group_files.items()}
    return stages, files


def _start(spec: EnvironmentSpec, ctx: RenderContext, render: Renderer) -> None:
    global _state
    _state = (spec, ctx, render)


def _render_group(group: Group) -> Built:
    assert _state is not None, "_start runs first in every worker"
    spec, ctx, render = _state
    out: list[tuple[StageInfo, Any]] = []
    files: dict[str, str] = {}
    for stage in build_group(spec, ctx, group):
        out.append((stage.info(), render(stage.file_name, stage.logical_id, template_dict(stage.template))))
        files.update(stage.files)
    return out, files
