"""Run a synth's independent jobs in forked worker processes (`synth --jobs N`).

A compute shard after the first is built from the spec alone, and its observability stack reads nothing
but that shard; turning a built template into text (`encode.template_dict`, then YAML) is most of the work
at scale. So forked workers build and render those shards and their observability stacks, while this
process builds and renders the network stack, the first compute shard, the API route stacks and the first
observability stack. The API deployment hashes what its parameters resolve to (`stacks/resolved.py`), so
each worker also sends back what its shard's outputs resolve to (`StackValues`), and this process builds
the API stage once they are in. Workers inherit the spec and send back text and small plain values,
never troposphere objects. Results come back in item order, so the output is byte-identical to a serial
run (a test checks it).

Where processes cannot be started (a sandbox without semaphores, for instance) everything runs here.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


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
            try:  # `start` runs it with fork only: the workers inherit the job
                self.pool = ProcessPoolExecutor(min(jobs, len(self.items)), multiprocessing.get_context("fork"))
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


_job: Callable[[Any], Any] | None = None  # set before the workers fork, read by them


def start(job: Callable[[T], R], items: Sequence[T], jobs: int) -> Callable[[], list[R]]:
    """Start `job(item)` for every item in up to `jobs` forked processes, which inherit `job` (it is never
    pickled, so it may close over anything; the items and the results are pickled). The function returned
    waits for the results, in item order. With one job, or where processes cannot fork, they run here, now."""
    global _job
    if "fork" not in multiprocessing.get_all_start_methods():
        jobs = 1  # the workers must inherit `job`
    _job = job
    try:
        running = InOrder(_call, items, jobs)
    except BaseException:
        _job = None
        raise

    def results() -> list[R]:
        global _job
        try:
            return running.results()
        finally:
            _job = None

    return results


def _call(item: Any) -> Any:
    assert _job is not None
    return _job(item)
