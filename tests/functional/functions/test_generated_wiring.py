"""The generator and the Lambda library agree: what the compute stage sets is what the functions read,
and platform_info serves the catalog that synth writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from template_gen.pipeline import synthesize

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "tests" / "events"
CODE = {
    "ApiKeyValidatorFunction": "api_key_validator",
    "OnboardingFunction": "onboarding",
    "PlatformInfoFunction": "platform_info",
}


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("wiring")
    for part in ("services", "functions"):
        shutil.copytree(ROOT / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    synthesize(project, "dev").write()
    return project


def _variables(example: Path, function: str) -> dict[str, Any]:
    compute = yaml.safe_load((example / "build/dev/compute.yaml").read_text())
    return compute["Resources"][function]["Properties"]["Environment"]["Variables"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("function", sorted(CODE))
def test_every_variable_the_template_sets_is_read_by_the_function(example: Path, function: str) -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "functions" / CODE[function]).glob("*.py"))
    ours = [name for name in _variables(example, function) if not name.startswith("POWERTOOLS_")]
    assert ours, function
    assert [name for name in ours if f'"{name}"' not in source] == []


def test_platform_info_serves_the_catalog_synth_wrote(
    example: Path, monkeypatch: pytest.MonkeyPatch, load_function, lambda_context
) -> None:  # type: ignore[no-untyped-def]
    for name, value in _variables(example, "PlatformInfoFunction").items():
        monkeypatch.setenv(name, str(value))
    # In AWS the catalog layer is mounted at /opt; here it is read straight from build/dev.
    monkeypatch.setenv("SERVICE_CATALOG_PATH", str(example / "build/dev/catalog/platform/catalog.json"))
    app = load_function("platform_info")
    event = json.loads((EVENTS / "platform_info_services.json").read_text())
    response = app.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200
    body = json.loads(response["body"])
    kinds = {s["name"]: s["kind"] for s in body["services"]}
    assert kinds == {
        "platform-info": "lambda",
        "pricing-rules": "ecs",
        "product-pricing": "ecs",
        "quote-notifier": "worker",  # the catalog of an environment with a worker parses
        "quoting": "ecs",
    }


def test_platform_info_serves_a_catalog_with_an_event_driven_function(
    monkeypatch: pytest.MonkeyPatch,
    load_function,
    lambda_context,  # type: ignore[no-untyped-def]
) -> None:
    catalog = ROOT / "tests/golden/runtime-options/expected/prod/catalog/platform/catalog.json"
    monkeypatch.setenv("SERVICE_CATALOG_PATH", str(catalog))
    monkeypatch.setenv("SERVICE_BASE_PATH", "/platform")
    app = load_function("platform_info")
    event = json.loads((EVENTS / "platform_info_services.json").read_text())
    response = app.lambda_handler(event, lambda_context)
    assert response["statusCode"] == 200
    services = {s["name"]: s for s in json.loads(response["body"])["services"]}
    assert services["reports"]["base_path"] is None
    assert services["reports"]["exposure"] == []
    assert services["billing"]["base_path"] == "/billing"
