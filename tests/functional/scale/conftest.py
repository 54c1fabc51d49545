from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from generate_registry import write_registry

from template_gen.pipeline import SynthResult, synthesize


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], tuple[Path, SynthResult]]:
    """A generated registry of N services, synthesized once per test session."""
    cache: dict[int, tuple[Path, SynthResult]] = {}

    def get(count: int) -> tuple[Path, SynthResult]:
        if count not in cache:
            project = tmp_path_factory.mktemp(f"scale{count}")
            write_registry(project, count)
            cache[count] = (project, synthesize(project, "prod"))
        return cache[count]

    return get
