"""platform-info: a `kind: lambda` service behind the public API (proxy integration).

    GET {SERVICE_BASE_PATH}/health     is the platform answering, and is its catalog readable
    GET {SERVICE_BASE_PATH}/services   the environment's service catalog

It is also the template new Lambda services start from: module-level Logger/Tracer/Metrics and
resolver, thin routes, logic in a plain module next to it (catalog.py), configuration read from the
environment, nothing that can fail at import time.
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
from catalog import DEFAULT_CATALOG_PATH, CatalogLoader, CatalogUnavailable

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
loader = CatalogLoader(os.getenv("SERVICE_CATALOG_PATH") or DEFAULT_CATALOG_PATH)


def identity() -> dict[str, str]:
    return {
        "platform": os.getenv("PLATFORM_NAME", ""),
        "environment": os.getenv("ENVIRONMENT_NAME", ""),
    }


def json_response(status: HTTPStatus, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.get("/health")
@tracer.capture_method
def health() -> Response:
    metrics.add_metric(name="HealthChecks", unit=MetricUnit.Count, value=1)
    try:
        catalog = loader.load()
    except CatalogUnavailable:
        return json_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            {"status": "unavailable", **identity(), "reason": "service catalog is unavailable"},
        )
    return json_response(
        HTTPStatus.OK,
        {"status": "ok", **identity(), "region": catalog.region, "services": len(catalog.services)},
    )


@app.get("/services")
@tracer.capture_method
def services() -> Response:
    catalog = loader.load()  # CatalogUnavailable -> 503 below
    metrics.add_metric(name="CatalogRequests", unit=MetricUnit.Count, value=1)
    return json_response(
        HTTPStatus.OK,
        {
            **identity(),
            "region": catalog.region,
            "services": [service.model_dump(mode="json") for service in catalog.services],
        },
    )


@app.exception_handler(CatalogUnavailable)
def catalog_unavailable(exc: CatalogUnavailable) -> Response:
    metrics.add_metric(name="CatalogUnavailable", unit=MetricUnit.Count, value=1)
    logger.error("service catalog unavailable", extra={"error": str(exc)})
    return json_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        {"error": "catalog_unavailable", "message": "service catalog is unavailable"},
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
