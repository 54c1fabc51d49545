"""Build and render an environment's nested stacks in parallel processes (`synth --jobs N`).

Network, compute and API stages are built in this process, in deployment order: later stages read earlier
ones (the API deployment hashes what its parameters resolve to). What reads them and nothing reads in turn
(the observability stacks) is passed as a builder, and built in a worker. Turning each template into text
(`encode.template_dict`, then YAML) is independent per stage and is most of the work at scale: forked
workers inherit the built stages and the builders, and send back only text and the small `StageInfo` the
root needs. Results come back in stage order, so the output is byte-identical to a serial run (a test
checks it).

Where processes cannot be started (a sandbox without semaphores, for instance) everything runs here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from template_gen.encode import template_dict
from template_gen.stacks.common import Stage, StageInfo

T = TypeVar("T")
R = TypeVar("R")
Renderer = Callable[[str, str, dict[str, Any]], Any]  # (file name, logical id, template dict) -> rendered stack

StageJob = Stage | Callable[[], Stage]  # a built stage, or the builder of one (called in the worker)
_stages: Sequence[StageJob] = ()  # set before the workers fork, read by them
_renderer: Renderer | None = None


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
) -> list[R]:
    """`[job(item) for item in items]`, run by up to `jobs` worker processes, results in item order.

    `jobs <= 1`, a single item, or a platform where processes cannot start runs everything here. An
    exception raised by `job` is raised here, as in a serial run."""
    if jobs > 1 and len(items) > 1:
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        try:
            with ProcessPoolExecutor(min(jobs, len(items)), context) as pool:
                return list(pool.map(job, items))
        except (OSError, BrokenProcessPool):
            pass  # no processes here (or a worker was killed): render serially, with the same result
    return [job(item) for item in items]


Rendered = tuple[StageInfo, dict[str, str], Any]  # what the root needs, files beside the template, its text


def render_stages(stages: Sequence[StageJob], render: Renderer, jobs: int) -> list[Rendered]:
    """Per stage (built here, or built by its builder in the worker): what the root needs of it, the files
    written beside the templates, and `render(file name, logical id, template dict)`; by up to `jobs` forked
    processes, in stage order."""
    global _stages, _renderer
    if "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1  # the workers must inherit the stages
    _stages, _renderer = stages, render  # inherited by forked workers: the stages are never pickled
    try:
        return map_in_order(_render_one, list(range(len(stages))), jobs)
    finally:
        _stages, _renderer = (), None


def _render_one(index: int) -> Rendered:
    assert _renderer is not None
    job = _stages[index]
    stage = job if isinstance(job, Stage) else job()
    return stage.info(), stage.files, _renderer(stage.file_name, stage.logical_id, template_dict(stage.template))
