"""The process pool behind `synth --jobs`: results in order, errors as in a serial run, a serial fallback."""

from __future__ import annotations

import os
from typing import Any

import pytest

from template_gen import parallel


def map_in_order(job: Any, items: list[int], jobs: int) -> list[Any]:
    return parallel.start(job, items, jobs)()


def square_and_pid(n: int) -> tuple[int, int]:
    return n * n, os.getpid()


def fail_on_three(n: int) -> int:
    if n == 3:
        raise ValueError("three")
    return n


def test_results_come_back_in_item_order_from_other_processes() -> None:
    results = map_in_order(square_and_pid, list(range(12)), jobs=2)
    assert [r for r, _ in results] == [n * n for n in range(12)]
    assert os.getpid() not in {pid for _, pid in results}


def test_one_job_runs_everything_in_this_process() -> None:
    assert {pid for _, pid in map_in_order(square_and_pid, [1, 2, 3], jobs=1)} == {os.getpid()}


def test_an_error_in_a_job_is_raised_as_in_a_serial_run() -> None:
    with pytest.raises(ValueError, match=r"^three$"):
        map_in_order(fail_on_three, [1, 2, 3, 4], jobs=2)


def test_a_job_closing_over_anything_is_inherited_not_pickled() -> None:
    unpicklable = (lambda: 7, object())
    assert map_in_order(lambda n: n + unpicklable[0](), [1, 2, 3], jobs=2) == [8, 9, 10]


def test_where_processes_cannot_start_the_jobs_run_here(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_processes(*args: Any, **kwargs: Any) -> None:
        raise OSError(38, "Function not implemented")  # what a sandbox without semaphores answers

    monkeypatch.setattr(parallel, "ProcessPoolExecutor", no_processes)
    assert map_in_order(square_and_pid, [1, 2, 3], jobs=2) == [(1, os.getpid()), (4, os.getpid()), (9, os.getpid())]
