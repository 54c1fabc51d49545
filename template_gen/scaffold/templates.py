"""The files `template-gen new-service` writes besides the service file (which `service_file` generates
from the models): the headers of service files, and a Lambda service's code and test."""

from __future__ import annotations

from string import Template

ECS_HEADER = Template("""\
# yaml-language-server: $$schema=../_schema/service.schema.json
#
# $name: a container on ECS Fargate behind the internal ALB; API Gateway routes $base_path and
# $base_path/* to it. Every field is below with its default; limits: docs/registry-reference.md.
""")

LAMBDA_HEADER = Template("""\
# yaml-language-server: $$schema=../_schema/service.schema.json
#
# $name: a Lambda function behind the API (Lambda proxy integration) for $base_path and $base_path/*.
# Code: $code_dir. Every field is below with its default; limits: docs/registry-reference.md.
""")

LAMBDA_APP = Template('''\
"""$name: a `kind: lambda` service behind the API (Lambda proxy integration).

    GET {SERVICE_BASE_PATH}/health     is the service answering

Created by `template-gen new-service` from the shape of functions/platform_info: module-level
Logger/Tracer/Metrics and resolver, thin routes, business logic in plain modules next to this file,
configuration read from the environment, nothing that can fail at import time.
"""

from __future__ import annotations

import os
import warnings
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

SERVICE = "$name"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=os.getenv("POWERTOOLS_METRICS_NAMESPACE") or "Platform")
# A CORS preflight is answered by the resolver itself and records no metric; without this filter
# every preflight would log a "No application metrics to publish" warning.
warnings.filterwarnings("ignore", "No application metrics to publish")


def cors_config(raw: str | None) -> CORSConfig:
    origins = [origin.strip() for origin in (raw or "*").split(",") if origin.strip()] or ["*"]
    if "*" in origins:
        return CORSConfig(allow_origin="*", max_age=600)
    return CORSConfig(allow_origin=origins[0], extra_origins=origins[1:], max_age=600)


def strip_prefixes(raw: str | None) -> list[str]:
    prefix = "/" + (raw or "").strip().strip("/")
    return [prefix] if prefix != "/" else []


app = APIGatewayRestResolver(
    cors=cors_config(os.getenv("CORS_ALLOW_ORIGINS")),
    strip_prefixes=strip_prefixes(os.getenv("SERVICE_BASE_PATH")),
)


def json_response(status: HTTPStatus, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.get("/health")
@tracer.capture_method
def health() -> Response:
    metrics.add_metric(name="HealthChecks", unit=MetricUnit.Count, value=1)
    return json_response(
        HTTPStatus.OK,
        {
            "status": "ok",
            "service": SERVICE,
            "platform": os.getenv("PLATFORM_NAME", ""),
            "environment": os.getenv("ENVIRONMENT_NAME", ""),
        },
    )


@app.not_found
def not_found(exc: Exception) -> Response:
    metrics.add_metric(name="RouteNotFound", unit=MetricUnit.Count, value=1)
    return json_response(HTTPStatus.NOT_FOUND, {"error": "not_found", "message": "no such route"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
''')

LAMBDA_TEST = Template('''\
"""$name behind the proxy integration: the scaffolded health route, CORS and 404s."""

from __future__ import annotations

import json
from typing import Any

import pytest

BASE_PATH = "$base_path"


def rest_event(method: str, path: str, origin: str = "https://app.example.com") -> dict[str, Any]:
    """A REST API proxy event as API Gateway sends it for `{BASE_PATH}/{proxy+}`."""
    return {
        "resource": BASE_PATH + "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Accept": "application/json", "Origin": origin},
        "multiValueHeaders": {"Accept": ["application/json"], "Origin": [origin]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.removeprefix(BASE_PATH + "/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "httpMethod": method,
            "path": "/dev" + path,
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "resourcePath": BASE_PATH + "/{proxy+}",
            "stage": "dev",
            "identity": {"sourceIp": "203.0.113.10"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


@pytest.fixture()
def app(monkeypatch: pytest.MonkeyPatch, load_function):
    monkeypatch.setenv("PLATFORM_NAME", "acme")
    monkeypatch.setenv("ENVIRONMENT_NAME", "dev")
    monkeypatch.setenv("SERVICE_BASE_PATH", BASE_PATH)
    monkeypatch.delenv("CORS_ALLOW_ORIGINS", raising=False)
    return load_function("$module")


def test_${module}_answers_its_health_route(app, lambda_context):
    response = app.lambda_handler(rest_event("GET", BASE_PATH + "/health"), lambda_context)
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "status": "ok",
        "service": "$name",
        "platform": "acme",
        "environment": "dev",
    }
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]


def test_${module}_answers_404_for_an_unknown_route(app, lambda_context):
    response = app.lambda_handler(rest_event("GET", BASE_PATH + "/nope"), lambda_context)
    assert response["statusCode"] == 404
    assert json.loads(response["body"]) == {"error": "not_found", "message": "no such route"}


@pytest.mark.filterwarnings("error")
def test_${module}_answers_a_cors_preflight(app, lambda_context):
    response = app.lambda_handler(rest_event("OPTIONS", BASE_PATH + "/health"), lambda_context)
    assert response["statusCode"] == 204
    assert response["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["*"]
''')

COMMENT_COLUMN = 32  # where the trailing comments of the service files start


def align_comments(text: str) -> str:
    """Line up trailing comments (written as `value  # comment`) at COMMENT_COLUMN."""
    lines = []
    for line in text.split("\n"):
        if "  # " in line and not line.lstrip().startswith("#"):
            content, comment = line.split("  # ", 1)
            content = content.rstrip()
            line = content.ljust(COMMENT_COLUMN - 2) + "  # " + comment
        lines.append(line)
    return "\n".join(lines)
