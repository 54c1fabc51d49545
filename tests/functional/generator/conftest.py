from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from synth_cases import synthesized


@pytest.fixture(scope="session")
def golden_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("golden")


@pytest.fixture(scope="session")
def templates(golden_workdir: Path) -> Callable[[str, str], dict[str, str]]:
    def get(case: str, env: str) -> dict[str, str]:
        return synthesized(case, env, golden_workdir)

    return get
