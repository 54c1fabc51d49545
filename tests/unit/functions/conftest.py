"""Load a Lambda function's modules the way Lambda does (function folder as the code root),
under unique names, so that the three functions' `app` modules never collide."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

FUNCTIONS_DIR = Path(__file__).resolve().parents[3] / "functions"


def load_function_module(function: str, module: str = "app") -> ModuleType:
    """Import functions/<function>/<module>.py with its folder on sys.path, then drop the folder's
    sibling modules from sys.modules (the loaded module keeps its references to them)."""
    directory = FUNCTIONS_DIR / function
    unique = f"_lambda_{function}_{module}_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(unique, directory / f"{module}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    before = set(sys.modules)
    sys.path.insert(0, str(directory))
    sys.modules[unique] = loaded
    try:
        spec.loader.exec_module(loaded)
    finally:
        sys.path.remove(str(directory))
        for name in set(sys.modules) - before - {unique}:
            if str(getattr(sys.modules[name], "__file__", "") or "").startswith(str(directory)):
                del sys.modules[name]
    return loaded


@pytest.fixture()
def load_function() -> Iterator[Callable[..., ModuleType]]:
    loaded: list[str] = []

    def load(function: str, module: str = "app") -> ModuleType:
        result = load_function_module(function, module)
        loaded.append(result.__name__)
        return result

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, now: float = 1_795_521_600.0) -> None:  # 2026-11-24T12:00:00Z
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture()
def clock() -> FakeClock:
    return FakeClock()
