"""platform_info behind the proxy integration, with its catalog in a temporary file."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

EVENTS = Path(__file__).resolve().parents[2] / "events"
HEALTH = json.loads((EVENTS / "platform_info_health.json").read_text())
SERVICES = json.loads((EVENTS / "platform_info_services.json").read_text())
CATALOG = {
    "platform": "acme",
    "environment": "dev",
    "region": "eu-west-1",
    "services": [
        {
            "name": "quoting",
            "kind": "ecs",
            "description": "Prices and quotes",
            "base_path": "/quoting",
            "exposure": ["public", "private"],
            "auth": "api_key",
        },
        {
            "name": "platform-info",
            "kind": "lambda",
            "description": "Platform health and service catalog",
            "base_path": "/platform",
            "exposure": ["public"],
            "auth": "none",
            "future_field": "ignored",
        },
    ],
}


@pytest.fixture()
def catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(CATALOG))
    return path


@pytest.fixture()
def configure(monkeypatch: pytest.MonkeyPatch, load_function):
    def load(catalog: Path, origins: str | None = None) -> Any:
        monkeypatch.setenv("PLATFORM_NAME", "acme")
        monkeypatch.setenv("ENVIRONMENT_NAME", "dev")
        monkeypatch.setenv("SERVICE_BASE_PATH", "/platform")
        monkeypatch.setenv("SERVICE_CATALOG_PATH", str(catalog))
        if origins is None:
            monkeypatch.delenv("CORS_ALLOW_ORIGINS", raising=False)
        else:
            monkeypatch.setenv("CORS_ALLOW_ORIGINS", origins)
        return load_function("platform_info")

    return load


def from_origin(event: dict[str, Any], origin: str) -> dict[str, Any]:
    """A copy of `event` sent by a browser page on `origin`."""
    event = copy.deepcopy(event)
    event["headers"]["Origin"] = origin
    event["multiValueHeaders"]["Origin"] = [origin]
    return event


def call(app: Any, event: dict[str, Any], context: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = app.lambda_handler(copy.deepcopy(event), context)
    headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
    return response["statusCode"], json.loads(response["body"]), headers


def test_platform_info_reports_health_with_the_catalog_size(configure, catalog_file, lambda_context):
    app = configure(catalog_file)
    status, body, headers = call(app, HEALTH, lambda_context)
    assert (status, body) == (
        200,
        {"status": "ok", "platform": "acme", "environment": "dev", "region": "eu-west-1", "services": 2},
    )
    assert headers["Content-Type"] == "application/json"


def test_platform_info_lists_the_catalog_sorted_by_name(configure, catalog_file, lambda_context):
    app = configure(catalog_file)
    status, body, _ = call(app, SERVICES, lambda_context)
    assert (status, body) == (
        200,
        {
            "platform": "acme",
            "environment": "dev",
            "region": "eu-west-1",
            "services": [
                {
                    "name": "platform-info",
                    "kind": "lambda",
                    "description": "Platform health and service catalog",
                    "base_path": "/platform",
                    "exposure": ["public"],
                    "auth": "none",
                },
                {
                    "name": "quoting",
                    "kind": "ecs",
                    "description": "Prices and quotes",
                    "base_path": "/quoting",
                    "exposure": ["public", "private"],
                    "auth": "api_key",
                },
            ],
        },
    )


@pytest.mark.parametrize(
    "content",
    [None, "{not json", json.dumps({"platform": "acme"}), json.dumps(CATALOG | {"services": [{"name": "x"}]})],
    ids=["missing file", "broken JSON", "missing fields", "invalid service"],
)
def test_platform_info_answers_503_when_the_catalog_is_unusable(configure, tmp_path, lambda_context, content):
    path = tmp_path / "catalog.json"
    if content is not None:
        path.write_text(content)
    app = configure(path)  # importing with a broken catalog must not fail

    assert call(app, HEALTH, lambda_context)[:2] == (
        503,
        {"status": "unavailable", "platform": "acme", "environment": "dev", "reason": "service catalog is unavailable"},
    )
    assert call(app, SERVICES, lambda_context)[:2] == (
        503,
        {"error": "catalog_unavailable", "message": "service catalog is unavailable"},
    )


def test_platform_info_recovers_once_the_catalog_appears(configure, tmp_path, lambda_context):
    path = tmp_path / "catalog.json"
    app = configure(path)
    assert call(app, HEALTH, lambda_context)[0] == 503
    path.write_text(json.dumps(CATALOG))
    assert call(app, HEALTH, lambda_context)[0] == 200


def test_platform_info_answers_404_for_unknown_routes(configure, catalog_file, lambda_context):
    app = configure(catalog_file)
    event = copy.deepcopy(HEALTH)
    event["path"] = "/platform/secrets"
    assert call(app, event, lambda_context)[:2] == (404, {"error": "not_found", "message": "no such route"})


def test_platform_info_sends_cors_headers_for_an_allowed_origin(configure, catalog_file, lambda_context):
    app = configure(catalog_file, origins="https://portal.acme.example, https://admin.acme.example")
    _, _, headers = call(app, from_origin(HEALTH, "https://admin.acme.example"), lambda_context)

    assert headers["Access-Control-Allow-Origin"] == "https://admin.acme.example"


def test_platform_info_sends_no_cors_headers_for_another_origin(configure, catalog_file, lambda_context):
    app = configure(catalog_file, origins="https://portal.acme.example")
    _, _, headers = call(app, from_origin(HEALTH, "https://evil.example"), lambda_context)

    assert "Access-Control-Allow-Origin" not in headers


@pytest.mark.filterwarnings("error")
def test_platform_info_answers_cors_preflight(configure, catalog_file, lambda_context):
    app = configure(catalog_file)
    event = from_origin(SERVICES, "https://portal.acme.example")
    event["httpMethod"] = "OPTIONS"

    response = app.lambda_handler(event, lambda_context)

    headers = {name: values[-1] for name, values in response["multiValueHeaders"].items()}
    assert (response["statusCode"], headers["Access-Control-Allow-Origin"]) == (204, "*")
    assert "GET" in headers["Access-Control-Allow-Methods"]
