from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from generate_registry import write_registry

from template_gen.pipeline import Synthesis, synthesize


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], tuple[Path, Synthesis]]:
    """A generated registry of N services, synthesized once per test session."""
    cache: dict[int, tuple[Path, Synthesis]] = {}

    def get(count: int) -> tuple[Path, Synthesis]:
        if count not in cache:
            project = tmp_path_factory.mktemp(f"scale{count}")
            write_registry(project, count)
            cache[count] = (project, synthesize(project, "prod").write())
        return cache[count]

    return get
