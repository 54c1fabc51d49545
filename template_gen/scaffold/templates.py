"""The files `template-gen new-service` writes. Every field of a service file is present with a comment;
the values are the models' defaults except where the scaffold chose one (path, priority, port, auth)."""

from __future__ import annotations

from string import Template

ECS_SERVICE = Template("""\
# yaml-language-server: $$schema=../_schema/service.schema.json
#
# $name: a container on ECS Fargate behind the internal ALB; API Gateway routes $base_path and
# $base_path/* to it. Every field, its default and its limits: docs/registry-reference.md.

kind: ecs  # ecs: a container on Fargate (lambda: a function); cannot change per environment
name: $name  # must match the folder name
description: ""  # one line: what the service does (service catalog, resource descriptions)
owner: null  # owning team, added as the `owner` tag
tags: {}  # extra tags on this service's resources

port: $port  # the port the container listens on
cpu: 256  # Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384
memory: 512  # MiB, valid for the CPU (with 256 CPU units: 512, 1024 or 2048)
desired_count: 1  # tasks to run once an image exists

image:
  tag: null  # no image yet: created with zero tasks; `template-gen publish` records the tag
  repository: null  # an external image repository instead of the service's own ECR repository

api:
  base_path: $base_path  # routes $base_path and $base_path/{proxy+}
  exposure: public  # public | private | both | none (reachable only inside the VPC)
  auth: $auth  # api_key | authorizer (the platform's API key validator) | iam | none
  timeout_ms: 29000  # integration timeout, 50 to 29000

alb:
  priority: $priority  # listener rule priority, unique in each environment (1 to 49999)
  path_patterns: null  # default: [$base_path, $base_path/*]

health_check:
  path: $health_path  # the target group calls this on every task
  interval_seconds: 30  # between two checks
  timeout_seconds: 5  # shorter than the interval
  healthy_threshold: 3  # successes before a task gets traffic
  unhealthy_threshold: 3  # failures before a task is replaced
  matcher: "200-399"  # HTTP codes that count as healthy
  grace_period_seconds: 60  # ECS ignores failed checks this long after a task starts
  # In-task check, e.g. {command: ["CMD-SHELL", "curl -fs http://localhost:$port$health_path || exit 1"]}
  container: null  # container health check in the task definition

environment: {}  # environment variables, e.g. {LOG_LEVEL: INFO}
log_retention_days: null  # days; default: the environment's

autoscaling: null  # e.g. {min: 1, max: 4, cpu_target: 60}; without it desired_count is fixed
xray: false  # add the X-Ray daemon sidecar
capacity_provider_strategy: []  # default: FARGATE only; e.g. [{provider: FARGATE_SPOT, weight: 1}]

deployment:
  minimum_healthy_percent: 100  # keep every task serving during a deployment
  maximum_percent: 200  # start new tasks before stopping old ones
  circuit_breaker: true  # roll back a deployment whose tasks never get healthy

ecr:
  scan_on_push: true  # scan every pushed image for vulnerabilities
  keep_images: 30  # lifecycle policy: keep the newest N images
  immutable_tags: true  # refuse to push a tag twice

# Per-environment overrides, merged over this file, e.g. prod: {cpu: 512, memory: 1024, desired_count: 2}
environments: {}
""")

LAMBDA_SERVICE = Template("""\
# yaml-language-server: $$schema=../_schema/service.schema.json
#
# $name: a Lambda function behind the API (Lambda proxy integration) for $base_path and $base_path/*.
# Code: $code_dir. Every field, its default and its limits: docs/registry-reference.md.

kind: lambda  # lambda: a function (ecs: a container); cannot change per environment
name: $name  # must match the folder name
description: ""  # one line: what the service does (service catalog, function description)
owner: null  # owning team, added as the `owner` tag
tags: {}  # extra tags on this service's resources

api:
  base_path: $base_path  # routes $base_path and $base_path/{proxy+}
  exposure: public  # public | private | both | none
  auth: $auth  # api_key | authorizer (the platform's API key validator) | iam | none
  timeout_ms: 29000  # integration timeout, 50 to 29000

code: null  # code folder; default: $code_dir
handler: app.lambda_handler  # module.function inside the code folder
memory_size: null  # MiB; default: the environment's lambda.memory_size
timeout_seconds: null  # default: the environment's lambda.timeout_seconds
environment: {}  # environment variables, e.g. {LOG_LEVEL: INFO}
log_retention_days: null  # days; default: the environment's

# Per-environment overrides, merged over this file, e.g. prod: {memory_size: 512}
environments: {}
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
