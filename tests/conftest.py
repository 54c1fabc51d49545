"""Fixtures shared by every test: fake AWS credentials, a Lambda context, project paths, Lambda
function modules loaded the way Lambda loads them, a fake clock; and the property tests' profile."""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so a CI failure is reproducible and never occasional.
# `HYPOTHESIS_PROFILE=explore` draws new ones (run it now and then to look for new edge cases).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = PROJECT_ROOT / "functions"
FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "SAM_CLI_TELEMETRY": "0",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "Tests",
}


def pytest_configure(config: pytest.Config) -> None:
    # Set before any test module imports boto3 or Powertools, so nothing can reach a real account.
    os.environ.update(FAKE_AWS_ENV)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.fixture()
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Explicit per-test fake credentials (the session already has them; this guards against tests that clear env)."""
    for key, value in FAKE_AWS_ENV.items():
        monkeypatch.setenv(key, value)
    yield


@dataclass
class LambdaContext:
    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    log_group_name: str = "/aws/lambda/test-function"
    log_stream_name: str = "2026/11/24/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture()
def lambda_context() -> LambdaContext:
    return LambdaContext()


def load_function_module(function: str, module: str = "app") -> ModuleType:
    """Import functions/<function>/<module>.py with its folder on sys.path (the folder is the code root,
    as in Lambda) under a unique name, so that the functions' `app` modules never collide; then drop
    the folder's sibling modules from sys.modules (the loaded module keeps its references to them)."""
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


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite tests/golden/*/expected from current output",
    )


@pytest.fixture(scope="session")
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))
