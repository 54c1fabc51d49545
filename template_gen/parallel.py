"""Build and render an environment's nested stacks in parallel processes (`synth --jobs N`).

Stages are built in this process, in deployment order: later stages read earlier ones (the API
deployment hashes what its parameters resolve to, the first observability stack watches the API). Turning
a built template into text (`encode.template_dict`, then YAML) is independent per stage and is most of the
work at scale, and the observability stacks after the first read nothing but their compute shard. So once
the network and compute stacks are built, forked workers inherit them and render them, building and
rendering the later observability stacks too, while this process builds and renders the API stacks and
the first observability stack. Workers send back only text and the small `StageInfo` the root needs.
Results come back in stage order, so the output is byte-identical to a serial run (a test checks it).

Where processes cannot be started (a sandbox without semaphores, for instance) everything runs here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

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


class InOrder(Generic[R]):
    """`[job(item) for item in items]`, started now by up to `jobs` forked worker processes; `results()`
    waits for them, in item order.

    `jobs <= 1`, a single item, or a platform where processes cannot start runs everything here, at once.
    An exception raised by `job` is raised by `results()`, as in a serial run."""

    def __init__(self, job: Callable[[T], R], items: Sequence[T], jobs: int):
        self.job, self.items = job, list(items)
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[R]] = []
        self.done: list[R] | None = None
        if jobs > 1 and len(self.items) > 1:
            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else None)
            try:
                self.pool = ProcessPoolExecutor(min(jobs, len(self.items)), context)
                self.futures = [self.pool.submit(job, item) for item in self.items]
                return
            except (OSError, BrokenProcessPool):
                self._close()  # no processes here: run serially, with the same result
        self.done = [job(item) for item in self.items]

    def results(self) -> list[R]:
        if self.done is not None:
            return self.done
        try:
            return [future.result() for future in self.futures]
        except BrokenProcessPool:
            return [self.job(item) for item in self.items]  # a worker was killed: the same result, here
        finally:
            self._close()

    def _close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def map_in_order(job: Callable[[T], R], items: Sequence[T], jobs: int) -> list[R]:
    """`[job(item) for item in items]`, run by up to `jobs` worker processes, results in item order."""
    return InOrder(job, items, jobs).results()


Rendered = tuple[StageInfo, dict[str, str], Any]  # what the root needs, files beside the template, its text


def start_rendering(stages: Sequence[StageJob], render: Renderer, jobs: int) -> Callable[[], list[Rendered]]:
    """Start rendering `stages` (built, or built by their builders in the workers) in up to `jobs` forked
    processes; the function returned waits for them. Per stage: what the root needs of it, the files written
    beside the templates, and `render(file name, logical id, template dict)`, in stage order. The stages as
    they are now are rendered: with one job, at once."""
    global _stages, _renderer
    if "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1  # the workers must inherit the stages
    _stages, _renderer = stages, render  # inherited by forked workers: the stages are never pickled
    try:
        running = InOrder(_render_one, range(len(stages)), jobs)
    except BaseException:
        _stages, _renderer = (), None
        raise

    def results() -> list[Rendered]:
        global _stages, _renderer
        try:
            return running.results()
        finally:
            _stages, _renderer = (), None

    return results


def render_stages(stages: Sequence[StageJob], render: Renderer, jobs: int) -> list[Rendered]:
    """`start_rendering(...)()`: every stage rendered, by up to `jobs` forked processes."""
    return start_rendering(stages, render, jobs)()


def _render_one(index: int) -> Rendered:
    assert _renderer is not None
    job = _stages[index]
    stage = job if isinstance(job, Stage) else job()
    return stage.info(), stage.files, _renderer(stage.file_name, stage.logical_id, template_dict(stage.template))
